// The capped option of `decide` from JavaScript, on the release packages: when the high
// estimate does not fit but a smaller result does, the decision offers it (`capped`), the
// same request estimated again with the cap is funded by credits, and a Meter honours it
// against the reference ledger (reserve the capped decision, commit the capped usage).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
async function load(dir) {
  const m = await import(join(root, dir, "credit_meter.js"));
  m.initSync({ module: readFileSync(join(root, dir, "credit_meter_bg.wasm")) });
  return m;
}
const cm = await load("pkg");
const full = await load("pkg-ledger");

const glossary = (n) => "# Glossary\n\n" + Array.from({ length: n }, (_, i) => `- Term ${i + 1}: the definition of term number ${i + 1}.`).join("\n");

test("decide offers the cards that fit, and the capped estimate is funded by credits", () => {
  const request = { operation: "flashcards.generate", note: glossary(80) };
  const whole = cm.estimate(request);
  const balance = whole.credits.expected; // enough for the likely result, not the high one
  const d = cm.decide({ estimate: whole, balance });
  assert.equal(d.funding, "insufficient");
  assert.equal(d.proceed, false);
  assert.deepEqual(Object.keys(d.capped).sort(), ["cards", "expected", "maxOutputTokens", "reserve"]);
  assert.equal(d.capped.cards, whole.cards.expected);
  assert.equal(d.capped.maxOutputTokens, null);
  assert.equal(d.capped.reserve, balance);
  const capped = cm.decide({ estimate: cm.estimate({ ...request, cards: d.capped.cards }), balance });
  assert.equal(capped.funding, "credits");
  assert.equal(capped.reserve, d.capped.reserve);
  assert.equal(capped.capped, null, "a funded decision offers nothing smaller");
});

test("decide offers a shorter reply for a message, honoured with maxOutputTokens", () => {
  const request = { operation: "message", text: "Summarise this week's support tickets." };
  // At the catalog's 1,000 tokens per credit, half a credit buys about 490 reply tokens.
  const balance = "0.5";
  const d = cm.decide({ estimate: cm.estimate(request), balance });
  assert.equal(d.funding, "insufficient");
  assert.equal(d.capped.cards, null);
  assert.ok(Number.isInteger(d.capped.maxOutputTokens) && d.capped.maxOutputTokens >= 50);
  const capped = cm.decide({ estimate: cm.estimate({ ...request, maxOutputTokens: d.capped.maxOutputTokens }), balance });
  assert.equal(capped.funding, "credits");
  assert.equal(capped.reserve, d.capped.reserve);
  const tooLong = cm.estimate({ ...request, maxOutputTokens: d.capped.maxOutputTokens + 1 });
  assert.equal(cm.decide({ estimate: tooLong, balance }).funding, "insufficient");
});

test("nothing useful fits: no capped option", () => {
  const d = cm.decide({ estimate: cm.estimate({ operation: "flashcards.generate", cards: 9 }), balance: "0.5" });
  assert.equal(d.funding, "insufficient");
  assert.equal(d.capped, null);
  const tts = cm.decide({ estimate: cm.estimate({ operation: "tts", text: "x".repeat(5000) }), balance: "1" });
  assert.equal(tts.capped, null, "per-character calls are not capped");
});

test("a Meter honours the capped option against the reference ledger", async () => {
  const seed = Buffer.alloc(32, 3).toString("base64url");
  const ledger = new full.ReferenceLedger({ kid: "k1", seed });
  const admin = (cmd) => JSON.parse(ledger.admin(JSON.stringify(cmd), Date.now()));
  admin({ op: "createAccount", accountId: "bob", policy: "trueRecall" });
  admin({ op: "purchase", accountId: "bob", purchaseId: "o1", packageId: "starter" }); // 500 credits
  let saved = null;
  const host = {
    load: () => saved,
    save: (s) => { saved = s; },
    pull: (r) => ledger.pull(r, Date.now()),
    push: (r) => ledger.push(r, Date.now()),
  };
  const meter = await cm.Meter.open({ accountId: "bob", deviceId: "laptop", publicKeys: ledger.publicKeys(), host });
  try {
    await meter.sync();
    const request = { operation: "flashcards.generate", note: glossary(600) };
    const d = meter.decide({ estimate: meter.estimate(request) });
    assert.equal(d.funding, "insufficient", d.reason);
    assert.equal(d.capped.cards, 500, "every spendable credit, one card each");
    const capped = meter.decide({ estimate: meter.estimate({ ...request, cards: d.capped.cards }) });
    assert.equal(capped.funding, "credits");
    const hold = await meter.reserve(capped);
    assert.equal(hold.amount, "500");
    await meter.commit(hold.holdId, { operation: "flashcards.generate", cards: d.capped.cards });
    await meter.sync();
    assert.equal(admin({ op: "balance", accountId: "bob" }).result.balance, "0");
    assert.equal(meter.balance().spendable, "0");
  } finally {
    meter.close();
  }
});
