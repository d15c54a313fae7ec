// The plugin's settings: what they are, their defaults, and the settings tab that edits
// them. They are saved in data.json next to the meter's signed cache (see storage.ts).
import { App, Plugin, PluginSettingTab, Setting } from "obsidian";

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
  /** The device token from the vendor's sign-in (a JWT): the AI proxy refuses calls
   * without one. */
  deviceToken: string;
  /** The user's own OpenRouter key: when set, it is used instead of credits. */
  openRouterKey: string;
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
  deviceToken: "",
  openRouterKey: "",
  model: "openai/gpt-4o-mini",
  confirmAboveCredits: "25",
};

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
    text("Device token", "From the vendor's sign-in: pays AI calls with credits through the vendor's proxy.", "deviceToken", "eyJ…");
    text("OpenRouter API key", "Your own key: used instead of credits when set (no credits are charged).", "openRouterKey", "sk-or-…");
    text("Model", "The OpenRouter model that writes the cards.", "model");
    text("Confirm above (credits)", "Ask before a note may cost more than this.", "confirmAboveCredits");
  }
}
