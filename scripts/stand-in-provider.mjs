// A local stand-in for an OpenAI-compatible AI provider, for the demo only
// (./scripts/demo.sh starts it and points the ledger's AI proxy at it): POST
// /v1/chat/completions answers with flashcards made from the last user message, whole or
// streamed (SSE, with the usage chunk when `stream_options.include_usage` is set), and
// reports usage as a provider would (tokens estimated at 4 characters each; each answer's
// usage is also printed as a `usage {…}` line). It answers as a model would: one short
// card per fact of the note (a line or a sentence; headings are not facts), each side
// bounded in length (a 3,000-character "sentence" is summed up, never copied into a
// card), no more cards than the instructions allow ("at most N cards"), and a reply
// longer than `max_tokens` is cut off there with `finish_reason: "length"` (its usage is
// the `max_tokens` it wrote). No key is checked; it listens on loopback only. Not a
// provider: a labelled fake.
// A request with `"user": "stand-in-fail"` (the standard end-user id field, which the
// ledger's proxy forwards; only this stand-in reads it so) is answered HTTP 503 before
// any output, as a provider that is down would be — the demo page's "make the AI call
// fail" switch; it prints a `failed {…}` line instead of a usage line. With `"user":
// "stand-in-break"` a stream is accepted (HTTP 200), sends its first part and then breaks
// off (the connection is cut: no usage, no [DONE]), as a provider that fails mid-answer;
// it prints a `broke {…}` line instead of a usage line.
//   node scripts/stand-in-provider.mjs [PORT]   (prints "stand-in provider on http://127.0.0.1:PORT/v1")
import http from "node:http";

const port = Number(process.argv[2] ?? 0);

/** The longest side of a card, in characters: a fact longer than this is shortened, as a
 * model sums up a long passage instead of copying it. */
const CARD_SIDE_MAX = 160;

/** `text` at most CARD_SIDE_MAX characters long, cut at a word where there is one. */
function bounded(text) {
  if (text.length <= CARD_SIDE_MAX) return text;
  const cut = text.slice(0, CARD_SIDE_MAX - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > CARD_SIDE_MAX / 2 ? cut.slice(0, space) : cut}…`;
}

/** The facts of a note: its lines (list markers and headings' text aside), each split
 * into sentences; a heading alone is not a fact. */
function factsOf(text) {
  return text.split(/\n+/)
    .filter((line) => !/^\s*#/.test(line))
    .map((line) => line.replace(/^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?/, ""))
    .flatMap((line) => line.split(/(?<=[.!?])\s+/))
    .map((s) => s.trim())
    .filter((s) => s.length > 3);
}

/** The reply: one bounded card per fact, at most `max` cards (null: no limit). */
function cardsFor(text, max) {
  const facts = factsOf(text).slice(0, max ?? Infinity);
  const cards = facts.map((s, i) => ({ front: `Card ${i + 1}: what does the note say?`, back: bounded(s) }));
  return JSON.stringify({ cards: cards.length ? cards : [{ front: "What was the note about?", back: bounded(text.trim()) || "(empty)" }] });
}

/** The card limit the instructions set ("at most N cards"), or null. */
function cardLimit(instructions) {
  const m = /at most (\d+) cards?/i.exec(instructions);
  return m ? Number(m[1]) : null;
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || !req.url.endsWith("/chat/completions")) {
    res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
    return;
  }
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    let r;
    try {
      r = JSON.parse(body);
    } catch {
      res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"not JSON"}}');
      return;
    }
    if (r.user === "stand-in-fail") {
      console.log(`failed ${JSON.stringify({ status: 503, model: r.model })}`);
      res.writeHead(503, { "content-type": "application/json" })
        .end('{"error":{"message":"the stand-in provider failed as asked (user: stand-in-fail)"}}');
      return;
    }
    const messages = Array.isArray(r.messages) ? r.messages : [];
    const prompt = messages.map((m) => (typeof m.content === "string" ? m.content : "")).join("\n");
    const last = [...messages].reverse().find((m) => m.role === "user");
    const system = messages.filter((m) => m.role === "system" && typeof m.content === "string").map((m) => m.content).join("\n");
    let content = cardsFor(typeof last?.content === "string" ? last.content : "", cardLimit(system));
    const max = Number.isSafeInteger(r.max_tokens) ? r.max_tokens : 4096;
    // Out of room: the reply stops where the limit is, as a model's does.
    const finish = Math.ceil(content.length / 4) > max ? "length" : "stop";
    if (finish === "length") content = content.slice(0, max * 4);
    const usage = { prompt_tokens: Math.ceil(prompt.length / 4) + 8, completion_tokens: Math.ceil(content.length / 4) };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = `standin-${Date.now()}`;
    // What it reports, on stdout: tests/e2e/proxy.e2e.mjs checks the ledger's charge against it.
    if (r.user === "stand-in-break" && r.stream) console.log(`broke ${JSON.stringify({ model: r.model })}`);
    else console.log(`usage ${JSON.stringify(usage)}`);
    if (!r.stream) {
      const answer = { id, object: "chat.completion", model: r.model, choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finish }], usage };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const parts = content.match(/.{1,24}/gs) ?? [];
    if (r.user === "stand-in-break") {
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: parts[0] ?? "" }, finish_reason: null }] })}\n\n`);
      setTimeout(() => res.destroy(), 50);
      return;
    }
    let i = 0;
    const tick = setInterval(() => {
      if (i < parts.length) {
        res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: parts[i++] }, finish_reason: null }] })}\n\n`);
        return;
      }
      clearInterval(tick);
      res.write(`data: ${JSON.stringify({ id, choices: [{ index: 0, delta: {}, finish_reason: finish }] })}\n\n`);
      if (r.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ id, choices: [], usage })}\n\n`);
      res.end("data: [DONE]\n\n");
    }, 30);
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`stand-in provider on http://127.0.0.1:${server.address().port}/v1`);
});
