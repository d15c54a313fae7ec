// The plugin's settings: what they are, their defaults, and the settings tab that edits
// them. They are saved in data.json next to the meter's signed cache (see storage.ts); the
// user's own API key is not: it lives in Obsidian's secret storage (1.11.4+), and the
// settings keep only the name of its entry.
import { App, Plugin, PluginSettingTab, SecretComponent, Setting } from "obsidian";

/** Everything the user (or the vendor's defaults) configures. */
export interface FlashcardSettings {
  /** The user's account at the vendor (shown on the vendor's account page). */
  accountId: string;
  /** This installation's id, made once; the ledger numbers each device's changes. */
  deviceId: string;
  /** Base URL of the vendor's ledger (`POST /v1/push`, `POST /v1/pull`, `GET /v1/keys`). */
  ledgerUrl: string;
  /** The vendor's AI proxy (OpenRouter-style chat completions), paid with credits: the
   * ledger's own `POST /v1/ai/chat/completions`, which settles the hold from the
   * provider's reported usage (README "AI proxy"). */
  proxyUrl: string;
  /** The name of the secret-storage entry holding the user's own OpenRouter key ("" for
   * none): when it holds a key, that key is used instead of credits. */
  openRouterSecret: string;
  /** The name of the secret-storage entry holding the device token from the vendor's
   * sign-in (a JWT; "" for none): the AI proxy refuses calls without one. A bearer
   * credential, so kept in secret storage like the key, never in data.json. */
  deviceTokenSecret: string;
  /** Model id (OpenRouter's), also the catalog's model for the estimate. */
  model: string;
  /** Ask before spending more than this many credits on one note (a decimal string). */
  confirmAboveCredits: string;
}

/** What a fresh install starts with. */
export const DEFAULT_SETTINGS: FlashcardSettings = {
  accountId: "",
  deviceId: "",
  ledgerUrl: "https://ledger.example.com",
  proxyUrl: "https://ledger.example.com/v1/ai/chat/completions",
  openRouterSecret: "",
  deviceTokenSecret: "",
  model: "openai/gpt-4o-mini",
  confirmAboveCredits: "25",
};

/** The secret-storage entry a key saved in data.json by an older version is moved to. */
export const MIGRATED_KEY_SECRET = "credit-flashcards-openrouter";

/** The user's own OpenRouter key from secret storage, or null when none is chosen or set. */
export function ownKey(app: App, settings: FlashcardSettings): string | null {
  if (!settings.openRouterSecret) return null;
  const key = app.secretStorage.getSecret(settings.openRouterSecret);
  return key && key.trim() ? key.trim() : null;
}

/** The device token from secret storage, or "" when none is chosen or set. */
export function deviceToken(app: App, settings: FlashcardSettings): string {
  if (!settings.deviceTokenSecret) return "";
  return (app.secretStorage.getSecret(settings.deviceTokenSecret) ?? "").trim();
}

/** Where OpenRouter's chat completions live (own-key calls go straight there). */
export const OPENROUTER_URL = "https://openrouter.ai/api/v1/chat/completions";

/** A device id: "obsidian-" and 16 hex digits (no ':', which the ledger reserves). */
export function newDeviceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return "obsidian-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Settings from data.json: known fields of the right type, defaults for the rest. */
export function readSettings(saved: unknown): FlashcardSettings {
  const out: FlashcardSettings = { ...DEFAULT_SETTINGS };
  if (saved && typeof saved === "object") {
    const record = saved as Record<string, unknown>;
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof FlashcardSettings)[]) {
      const value = record[key];
      if (typeof value === "string") out[key] = value.trim();
    }
  }
  if (!/^\d+(\.\d+)?$/.test(out.confirmAboveCredits)) out.confirmAboveCredits = DEFAULT_SETTINGS.confirmAboveCredits;
  return out;
}

/** What the settings tab needs from the plugin. */
export interface SettingsOwner {
  settings: FlashcardSettings;
  /** Saves a change and applies it (opens, closes or reopens the meter). */
  updateSettings(change: Partial<FlashcardSettings>): Promise<void>;
}

/** The settings tab: account, own key, model and the confirmation threshold. */
export class FlashcardSettingTab extends PluginSettingTab {
  constructor(app: App, private readonly owner: Plugin & SettingsOwner) {
    super(app, owner);
  }

  display(): void {
    const { containerEl } = this;
    containerEl.empty();
    const text = (name: string, desc: string, key: keyof FlashcardSettings, placeholder = "") =>
      new Setting(containerEl)
        .setName(name)
        .setDesc(desc)
        .addText((t) =>
          t
            .setPlaceholder(placeholder)
            .setValue(this.owner.settings[key])
            .onChange((value) => this.owner.updateSettings({ [key]: value.trim() })),
        );
    text("Account ID", "Your account at the vendor: credits are bought and kept there.", "accountId", "acct-…");
    /** A setting that names an entry of Obsidian's secret storage (the value never enters data.json). */
    const secret = (name: string, desc: string, key: "deviceTokenSecret" | "openRouterSecret") =>
      new Setting(containerEl)
        .setName(name)
        .setDesc(desc)
        .addComponent((el) =>
          new SecretComponent(this.app, el)
            .setValue(this.owner.settings[key])
            .onChange((value) => this.owner.updateSettings({ [key]: value.trim() })),
        );
    secret("Device token", "From the vendor's sign-in, kept in Obsidian's secret storage: syncs your credits with the vendor's ledger and pays AI calls with credits through the vendor's proxy.", "deviceTokenSecret");
    secret("OpenRouter API key", "Your own key, kept in Obsidian's secret storage (never in data.json): used instead of credits when set.", "openRouterSecret");
    text("Model", "The OpenRouter model that writes the cards.", "model");
    text("Confirm above (credits)", "Ask before a note may cost more than this.", "confirmAboveCredits");
  }
}
