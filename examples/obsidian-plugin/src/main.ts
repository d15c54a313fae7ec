// The plugin: AI flashcards from the active note, paid with prepaid credits metered by
// credit-meter, or with the user's own OpenRouter key (then the ledger is never used).
import { Notice, Plugin } from "obsidian";
import { CreditAccount } from "./credits";
import { generateFromNote } from "./generate";
import { LedgerClient } from "./ledger";
import {
  DEFAULT_SETTINGS,
  deviceToken,
  FlashcardSettingTab,
  MIGRATED_KEY_SECRET,
  newDeviceId,
  ownKey,
  type FlashcardSettings,
  type SettingsOwner,
} from "./settings";
import { PluginStore } from "./storage";

/** AI flashcards with credits. */
export default class CreditFlashcardsPlugin extends Plugin implements SettingsOwner {
  settings: FlashcardSettings = { ...DEFAULT_SETTINGS };
  /** Settles once start-up is done: with credits, the meter opened and synced once. */
  ready: Promise<void> = Promise.resolve();
  /** Settles when the last generation the command started is done (checkCallback cannot
   * return it; the scenario test awaits it). */
  generation: Promise<void> = Promise.resolve();
  private store!: PluginStore;
  private credits!: CreditAccount;

  async onload(): Promise<void> {
    this.store = await PluginStore.open(this);
    if (!this.store.settings.deviceId) await this.store.saveSettings({ deviceId: newDeviceId() });
    // A key an older version kept in data.json moves to secret storage (and out of data.json).
    if (this.store.legacyOpenRouterKey) {
      this.app.secretStorage.setSecret(MIGRATED_KEY_SECRET, this.store.legacyOpenRouterKey);
      await this.store.saveSettings({ openRouterSecret: MIGRATED_KEY_SECRET });
    }
    this.settings = this.store.settings;
    const ledger = new LedgerClient(
      () => this.settings.ledgerUrl,
      () => deviceToken(this.app, this.settings),
    );
    this.credits = new CreditAccount(this.store, ledger, (m) => this.notify(m));
    // Offered only while a markdown note is open (checkCallback).
    this.addCommand({
      id: "generate-flashcards",
      name: "Generate flashcards from this note",
      checkCallback: (checking) => {
        const file = this.app.workspace.getActiveFile();
        if (!file || file.extension !== "md") return false;
        if (!checking) {
          this.generation = generateFromNote(
            { app: this.app, settings: this.settings, ownKey: () => ownKey(this.app, this.settings), meter: () => this.credits.open(), notify: (m) => this.notify(m) },
            file,
          );
        }
        return true;
      },
    });
    this.addCommand({ id: "sync-credits", name: "Sync credit balance", callback: () => this.syncCredits() });
    this.addSettingTab(new FlashcardSettingTab(this.app, this));
    // Queued charges from an earlier session are sent as soon as the plugin starts.
    if (this.usesCredits()) this.ready = this.credits.open().then(() => undefined, () => undefined);
  }

  onunload(): void {
    this.credits?.closeNow();
  }

  async updateSettings(change: Partial<FlashcardSettings>): Promise<void> {
    const before = this.settings;
    await this.store.saveSettings(change);
    this.settings = this.store.settings;
    const account = (s: FlashcardSettings) => `${s.accountId}\n${s.ledgerUrl}`;
    // Own key set, or another account: flush and close; the meter reopens when needed.
    if (!this.usesCredits() || account(before) !== account(this.settings)) await this.credits.retire();
  }

  private usesCredits(): boolean {
    return !ownKey(this.app, this.settings) && !!this.settings.accountId;
  }

  private async syncCredits(): Promise<void> {
    if (ownKey(this.app, this.settings)) {
      this.notify("Your own OpenRouter key is in use: no credits are used.");
      return;
    }
    try {
      this.notify(`Credits: ${await this.credits.sync()} left`);
    } catch (err) {
      this.notify(`Could not sync credits: ${err instanceof Error ? err.message : String(err)}.`);
    }
  }

  private notify(message: string): void {
    new Notice(message, 8000);
  }
}
