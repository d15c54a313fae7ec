// The "Generate flashcards" command: estimate the note, decide who pays, ask before a
// costly note, reserve the credits, call the AI, commit what it really made (the rest of
// the hold goes back), release everything if the call failed. With the user's own key the
// ledger is never contacted.
import type { App, TFile } from "obsidian";
import { compareAmounts, decide, estimate, type Estimate, type Meter } from "credit-meter/inline";
import { creditRoute, generateCards, ownKeyRoute, type Flashcard, type Generation } from "./ai";
import { deviceToken, type FlashcardSettings } from "./settings";
import { confirm, generatedMessage, insufficientMessage, NOTHING_TO_SEND, ownKeyMessage, type Shortfall } from "./ui";

/** The catalog operation this command is charged as. */
export const OPERATION = "flashcards.generate";

/** What the command works with. */
export interface GenerateContext {
  app: App;
  settings: FlashcardSettings;
  /** The user's own OpenRouter key (from secret storage), or null: then credits pay. */
  ownKey: () => string | null;
  /** The open meter (opened on first use). */
  meter: () => Promise<Meter>;
  notify: (message: string) => void;
}

/** Runs the command on a markdown note (the active one: see the command's checkCallback). */
export async function generateFromNote(ctx: GenerateContext, file: TFile): Promise<void> {
  const note = await ctx.app.vault.read(file);
  const key = ctx.ownKey();
  if (key) await withOwnKey(ctx, file, note, key);
  else await withCredits(ctx, file, note);
}

async function withOwnKey(ctx: GenerateContext, file: TFile, note: string, key: string): Promise<void> {
  const est = ownKeyEstimate(note, ctx.settings.model);
  if (!decide({ estimate: est, byok: true }).proceed) {
    ctx.notify(NOTHING_TO_SEND);
    return;
  }
  let made: Generation;
  try {
    made = await generateCards(ownKeyRoute(key), ctx.settings.model, note);
  } catch (err) {
    ctx.notify(`Flashcard generation failed: ${message(err)}.`);
    return;
  }
  await appendCards(ctx.app, file, made.cards);
  ctx.notify(ownKeyMessage(made.cards.length, est.providerUsd?.expected ?? null));
}

/** The estimate for the user's model; the catalog's default if it does not know it. */
function ownKeyEstimate(note: string, model: string): Estimate {
  try {
    return estimate({ operation: OPERATION, note, model });
  } catch {
    return estimate({ operation: OPERATION, note });
  }
}

async function withCredits(ctx: GenerateContext, file: TFile, note: string): Promise<void> {
  let meter: Meter;
  try {
    meter = await ctx.meter();
  } catch (err) {
    ctx.notify(`Credits are not available: ${message(err)}.`);
    return;
  }
  const est = meter.estimate({ operation: OPERATION, note });
  const decision = meter.decide({ estimate: est, byok: false });
  if (decision.funding === "insufficient") {
    ctx.notify(insufficientMessage(est.credits.high, decision.balance ?? "0", decision));
    return;
  }
  if (!decision.proceed) {
    ctx.notify(NOTHING_TO_SEND);
    return;
  }
  if (compareAmounts(decision.reserve, ctx.settings.confirmAboveCredits) > 0) {
    const cards = est.cards ? `${est.cards.low}–${est.cards.high} flashcards` : "flashcards";
    const ok = await confirm(
      ctx.app,
      "Generate from a long note?",
      `This note should make ${cards} and may cost up to ${decision.reserve} credits ` +
        `(${decision.balance ?? "?"} available). Only what is generated is charged.`,
      `Spend up to ${decision.reserve} credits`,
    );
    if (!ok) {
      ctx.notify("Cancelled: no AI call, no credits used.");
      return;
    }
  }
  let holdId: string;
  try {
    holdId = (await meter.reserve(decision)).holdId;
  } catch (err) {
    ctx.notify(reserveFailed(err, est.credits.high));
    return;
  }
  let made: Generation;
  try {
    made = await generateCards(creditRoute(ctx.settings.proxyUrl, ctx.settings.accountId, holdId, deviceToken(ctx.app, ctx.settings)), ctx.settings.model, note);
  } catch (err) {
    await meter.release(holdId).catch(() => undefined);
    ctx.notify(`Flashcard generation failed: ${message(err)}. No credits were charged.`);
    return;
  }
  // The usage happened: record it before anything else (the meter saves it, then sends it).
  let charged: string;
  try {
    const settled = await meter.commit(holdId, {
      operation: OPERATION,
      cards: made.cards.length,
      inputTokens: made.inputTokens,
      outputTokens: made.outputTokens,
    });
    charged = settled.credits ?? "0";
  } catch (err) {
    // Not saved, so not sent: the ledger releases the hold when it expires.
    await appendCards(ctx.app, file, made.cards);
    ctx.notify(`Generated ${made.cards.length} flashcards, but their charge could not be saved: ${message(err)}.`);
    return;
  }
  await appendCards(ctx.app, file, made.cards);
  const synced = await meter.sync().then(
    () => true,
    () => false,
  );
  ctx.notify(generatedMessage(made.cards.length, charged, meter.status().available, synced));
}

function reserveFailed(err: unknown, high: string): string {
  const e = err as Partial<Shortfall> & { code?: string; available?: string };
  if (e.code === "INSUFFICIENT_CREDITS" && Array.isArray(e.options)) {
    return insufficientMessage(high, e.available ?? "0", { shortfall: e.shortfall ?? null, package: e.package ?? null, options: e.options });
  }
  if (e.code === "OFFLINE_LIMIT") return "The credit ledger cannot be reached and this device's offline allowance is used up. Try again when online.";
  return `Could not reserve credits: ${message(err)}.`;
}

/** The cards, appended to the note as `front :: back` lines (Vault.process: one atomic
 * read-modify-write, so an edit made while the AI was answering is kept). */
async function appendCards(app: App, file: TFile, cards: Flashcard[]): Promise<void> {
  const lines = cards.map((c) => `${c.front.replace(/\n/g, " ")} :: ${c.back.replace(/\n/g, " ")}`);
  await app.vault.process(file, (text) => `${text}\n\n## Flashcards\n${lines.join("\n")}\n`);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
