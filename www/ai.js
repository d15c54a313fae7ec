// The AI call behind the page's Generate. A credit-paid call goes through the ledger's AI
// proxy (POST /v1/ai/chat/completions, README "AI proxy"; scripts/demo.sh puts a local
// stand-in provider behind it): this module builds its request from what was estimated
// and reads what the answer made and used. Calls nothing real can serve here are
// simulated — labelled as such wherever the page reports them: the own key (the demo has
// no real OpenRouter, and the own-key path never touches the ledger or its proxy), read
// aloud (the proxy serves chat completions only), offline (the proxy lives on the
// unreachable ledger) and a ledger without the proxy.

import { noteForModel } from "../pkg/credit_meter.js";
import { CodedError } from "./ledger.js";

/** The instructions sent with a note, as the example Obsidian plugin sends them. */
const FLASHCARDS_PROMPT =
  "Turn the user's note into flashcards for spaced repetition: one fact per card, short and "
  + 'self-contained. Answer with JSON only: {"cards":[{"front":"…","back":"…"}]}.';

/**
 * The chat completion request for the page's estimate request `request` as `estimate`
 * priced it: the catalog's model for the operation, exactly the text estimated (a note
 * without its frontmatter, comments and embeds), and at most the estimate's high count
 * of reply tokens (a capped request's smaller one) — the proxy lowers it further if the
 * hold cannot pay for that many. A capped request (`request.cards`) asks the model for no
 * more cards than that (the package's CappedOffer: "asking the AI for no more"). `fail`: ask the demo's stand-in provider to fail
 * (`user: "stand-in-fail"`: the proxy forwards only standard fields, and only the
 * stand-in reads this end-user id so), as the page's "make the AI call fail" switch.
 */
export function chatRequest(request, estimate, fail) {
  const flashcards = estimate.cards !== null;
  const prompt = Number.isSafeInteger(request.cards) ? `${FLASHCARDS_PROMPT} Make at most ${request.cards} cards.` : FLASHCARDS_PROMPT;
  const messages = flashcards
    ? [{ role: "system", content: prompt }, { role: "user", content: noteForModel(request.note) }]
    : [{ role: "user", content: request.text }];
  const body = { model: estimate.model, messages, max_tokens: estimate.outputTokens.high };
  if (fail) body.user = "stand-in-fail";
  return body;
}

/** What a chat completion answer made and used: `{cards, cutOff, inputTokens,
 * outputTokens}` (cards: the flashcards its JSON holds, 0 when it holds none; cutOff:
 * the reply stopped at its token limit — `finish_reason: "length"` — so it may be
 * incomplete; tokens: the provider's reported `usage`, which is what is charged whatever
 * the reply made). */
export function readAnswer(answer) {
  const choice = answer?.choices?.[0];
  const usage = answer?.usage ?? {};
  const tokens = (n) => (Number.isSafeInteger(n) && n >= 0 ? n : 0);
  return {
    cards: countCards(choice?.message?.content),
    cutOff: choice?.finish_reason === "length",
    inputTokens: tokens(usage.prompt_tokens),
    outputTokens: tokens(usage.completion_tokens),
  };
}

/** A card object with string `front` and `back`, complete (both strings closed). */
const CARD = /\{\s*"(front|back)"\s*:\s*"(?:[^"\\]|\\.)*"\s*,\s*"(?!\1)(?:front|back)"\s*:\s*"(?:[^"\\]|\\.)*"\s*\}/g;

/** The flashcards `content` holds: its JSON's `cards`, or — a reply cut off before its
 * JSON closed — the complete cards before the cut (they are usable as they are). */
function countCards(content) {
  if (typeof content !== "string") return 0;
  const json = content.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, "");
  try {
    const cards = JSON.parse(json)?.cards;
    return Array.isArray(cards) ? cards.filter((c) => typeof c?.front === "string" && typeof c?.back === "string").length : 0;
  } catch {
    return (json.match(CARD) ?? []).length;
  }
}

/** A simulated AI call: the estimate's expected usage after a short pause, or (`fail`) a
 * coded failure. Only for calls nothing real can serve in the demo (see the top). */
export async function simulatedAiCall(estimate, fail) {
  await new Promise((resolve) => setTimeout(resolve, 150)); // the provider "thinks"
  if (fail) throw new CodedError("AI_CALL_FAILED", "simulated provider failure (HTTP 503)");
  return {
    cards: estimate.cards ? estimate.cards.expected : 0,
    inputTokens: estimate.inputTokens.expected,
    outputTokens: estimate.outputTokens.expected,
  };
}

/** The usage a commit prices for `estimate`'s operation: what `made` produced and used. */
export function commitUsage(estimate, made) {
  const usage = { operation: estimate.operation };
  if (estimate.cards) usage.cards = made.cards;
  if (estimate.charge === "perToken" || estimate.charge === "perCard") {
    usage.inputTokens = made.inputTokens;
    usage.outputTokens = made.outputTokens;
  }
  if (estimate.characters !== null) usage.characters = estimate.characters;
  return usage;
}
