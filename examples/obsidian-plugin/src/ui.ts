// What the user sees: the notices' wording and the confirmation modal for costly notes.
import { App, Modal } from "obsidian";
import type { Decision } from "credit-meter";

/** The part of an insufficient decision (or an INSUFFICIENT_CREDITS error) shown. */
export interface Shortfall {
  shortfall: string | null;
  package: Decision["package"];
  options: string[];
}

/** After a paid generation. */
export function generatedMessage(cards: number, credits: string, left: string, synced: boolean): string {
  const tail = synced ? "" : " (offline: the charge is saved and syncs when the ledger is back)";
  return `Generated ${cards} flashcards · ${credits} credits · ${left} left${tail}`;
}

/** After an own-key generation. */
export function ownKeyMessage(cards: number, usd: string | null): string {
  return `Generated ${cards} flashcards · your OpenRouter key${usd === null ? "" : ` (about $${usd})`} · no credits used`;
}

/** Not enough credits: the shortfall and the ways out. */
export function insufficientMessage(high: string, balance: string, s: Shortfall): string {
  const ways: string[] = [];
  if (s.options.includes("buyCredits")) {
    const p = s.package;
    ways.push(
      p
        ? `buy ${p.quantity > 1 ? `${p.quantity} × ` : ""}${p.name} (${p.total} credits, $${p.priceUsd})`
        : "buy credits",
    );
  }
  if (s.options.includes("useOwnKey")) ways.push("add your own OpenRouter key in the plugin settings");
  return (
    `Not enough credits: this note may cost up to ${high} credits and ${balance} are available ` +
    `(${s.shortfall ?? "?"} short). To continue, ${ways.join(" or ")}. Nothing was sent to the AI.`
  );
}

/** Nothing left to send once frontmatter, comments and embeds are out. */
export const NOTHING_TO_SEND = "Nothing to generate from: the note has no text besides frontmatter, comments or embeds. No AI call, no credits used.";

/** Asks a yes/no question; resolves true only when the confirm button is clicked. */
export function confirm(app: App, title: string, message: string, confirmText: string): Promise<boolean> {
  return new Promise((resolve) => new ConfirmModal(app, title, message, confirmText, resolve).open());
}

class ConfirmModal extends Modal {
  private answered = false;

  constructor(
    app: App,
    private readonly title: string,
    private readonly message: string,
    private readonly confirmText: string,
    private readonly resolve: (ok: boolean) => void,
  ) {
    super(app);
  }

  onOpen(): void {
    this.setTitle(this.title);
    this.contentEl.createEl("p", { text: this.message });
    const buttons = this.contentEl.createDiv({ cls: "modal-button-container" });
    buttons.createEl("button", { text: this.confirmText, cls: "mod-cta" }).addEventListener("click", () => this.answer(true));
    buttons.createEl("button", { text: "Cancel" }).addEventListener("click", () => this.answer(false));
  }

  onClose(): void {
    this.contentEl.empty();
    this.answer(false);
  }

  private answer(ok: boolean): void {
    if (this.answered) return;
    this.answered = true;
    this.resolve(ok);
    this.close();
  }
}
