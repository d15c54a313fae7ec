// data.json: the settings and the meter's persisted state, and nothing else. The meter
// saves through `saveMeter` before it sends anything (persist before send is the meter's
// job); every write here stores the whole file, one write at a time, in call order.
import type { Plugin } from "obsidian";
import { FlashcardSettings, readSettings } from "./settings";

/** The shape of data.json. */
export interface PluginData {
  settings: FlashcardSettings;
  /** The meter's state: the ledger-signed snapshot and the not yet acknowledged changes. */
  meter: unknown;
}

/** The plugin's one file of state, over `loadData`/`saveData`. */
export class PluginStore {
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly plugin: Plugin,
    public settings: FlashcardSettings,
    private meter: unknown,
    /** An OpenRouter key an older version saved in data.json (to move to secret storage). */
    public readonly legacyOpenRouterKey: string | null,
  ) {}

  /** Reads data.json (absent or empty: defaults and no meter state). */
  static async open(plugin: Plugin): Promise<PluginStore> {
    const raw: unknown = await plugin.loadData();
    const data = raw && typeof raw === "object" ? (raw as Partial<Record<keyof PluginData, unknown>>) : {};
    const saved = data.settings && typeof data.settings === "object" ? (data.settings as Record<string, unknown>) : {};
    const legacy = typeof saved.openRouterKey === "string" && saved.openRouterKey.trim() ? saved.openRouterKey.trim() : null;
    return new PluginStore(plugin, readSettings(data.settings), data.meter ?? null, legacy);
  }

  /** The meter's state as text for `host.load` (null when there is none). A hand-edited
   * value is passed on as it is: the meter checks its signature and discards it if need be. */
  loadMeter(): string | null {
    if (this.meter === null) return null;
    return typeof this.meter === "string" ? this.meter : JSON.stringify(this.meter);
  }

  /** `host.save`: stores the meter's state; resolves once data.json is written. */
  saveMeter(state: string): Promise<void> {
    this.meter = parseOrKeep(state);
    return this.write();
  }

  /** Stores changed settings (a malformed value falls back to its default). */
  saveSettings(change: Partial<FlashcardSettings>): Promise<void> {
    this.settings = readSettings({ ...this.settings, ...change });
    return this.write();
  }

  private write(): Promise<void> {
    const data: PluginData = { settings: { ...this.settings }, meter: this.meter };
    const done = this.writes.then(() => this.plugin.saveData(data));
    this.writes = done.catch(() => undefined);
    return done;
  }
}

/** The meter's state is JSON: kept as an object so data.json stays readable. */
function parseOrKeep(state: string): unknown {
  try {
    return JSON.parse(state);
  } catch {
    return state;
  }
}
