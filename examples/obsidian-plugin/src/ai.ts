// The AI call: OpenRouter-style chat completions over requestUrl, either straight to
// OpenRouter with the user's own key or to the vendor's proxy (paid with credits), and
// the reply read as flashcards plus the token usage it reports.
import { requestUrl } from "obsidian";
import { noteForModel } from "credit-meter/inline";
import { OPENROUTER_URL } from "./settings";

/** One card. */
export interface Flashcard {
  front: string;
  back: string;
}

/** What one generation produced and used. */
export interface Generation {
  cards: Flashcard[];
  inputTokens: number;
  outputTokens: number;
}

/** Where the call goes and how it is authorised. */
export interface AiRoute {
  url: string;
  headers: Record<string, string>;
}

/** With the user's own key: straight to OpenRouter. */
export function ownKeyRoute(key: string): AiRoute {
  return { url: OPENROUTER_URL, headers: { Authorization: `Bearer ${key}` } };
}

/** With credits: the vendor's proxy (the ledger's `/v1/ai/chat/completions`), told which
 * hold pays for the call and, with the device's token, whose it is. The proxy settles the
 * hold from the provider's reported usage; the plugin's own commit then only learns it. */
export function creditRoute(proxyUrl: string, accountId: string, holdId: string, deviceToken = ""): AiRoute {
  const headers: Record<string, string> = { "X-Credit-Account": accountId, "X-Credit-Hold": holdId };
  if (deviceToken) headers.Authorization = `Bearer ${deviceToken}`;
  return { url: proxyUrl, headers };
}

const PROMPT =
  "Turn the user's note into flashcards for spaced repetition: one fact per card, short and " +
  'self-contained. Answer with JSON only: {"cards":[{"front":"…","back":"…"}]}.';

/** Asks the model for flashcards. Throws on a failed call or a reply without cards. */
export async function generateCards(route: AiRoute, model: string, note: string): Promise<Generation> {
  const res = await requestUrl({
    url: route.url,
    method: "POST",
    contentType: "application/json",
    headers: route.headers,
    body: JSON.stringify({
      model,
      messages: [
        { role: "system", content: PROMPT },
        // Exactly the text the estimate priced (frontmatter, comments, media embeds left out).
        { role: "user", content: noteForModel(note) },
      ],
      response_format: { type: "json_object" },
    }),
  });
  const reply: unknown = res.json;
  const cards = parseCards(messageContent(reply));
  if (cards.length === 0) throw new Error("the AI reply held no flashcards");
  const usage = field(reply, "usage");
  return { cards, inputTokens: count(field(usage, "prompt_tokens")), outputTokens: count(field(usage, "completion_tokens")) };
}

function field(v: unknown, name: string): unknown {
  return v && typeof v === "object" ? (v as Record<string, unknown>)[name] : undefined;
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : 0;
}

function messageContent(reply: unknown): string {
  const choices = field(reply, "choices");
  const content = Array.isArray(choices) ? field(field(choices[0], "message"), "content") : undefined;
  if (typeof content !== "string") throw new Error("the AI reply has no message");
  return content;
}

function parseCards(content: string): Flashcard[] {
  const json = content.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error("the AI reply is not JSON");
  }
  const list = field(parsed, "cards");
  if (!Array.isArray(list)) return [];
  const cards: Flashcard[] = [];
  for (const c of list) {
    const front: unknown = field(c, "front");
    const back: unknown = field(c, "back");
    if (typeof front === "string" && typeof back === "string" && front.trim() && back.trim()) {
      cards.push({ front: front.trim(), back: back.trim() });
    }
  }
  return cards;
}
