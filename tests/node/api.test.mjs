// The built package from plain JavaScript, the way a plugin calls it: every exported
// function gets hostile input, must throw an Error with a stable `code`, and the same
// instance must answer correctly afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cm = await import(join(root, "pkg", "credit_meter.js"));
cm.initSync({ module: readFileSync(join(root, "pkg", "credit_meter_bg.wasm")) });

const CODES = new Set(["BAD_INPUT", "BAD_AMOUNT", "BAD_CATALOG", "UNKNOWN_MODEL", "UNKNOWN_OPERATION", "UNKNOWN_ENCODING"]);

function stillWorks() {
  assert.equal(cm.estimateTokens("", "o200k_base"), 0);
  assert.ok(cm.estimateTokens("Hello world", "cl100k_base") >= 2);
  const e = cm.estimate({ operation: "flashcards.generate", cards: 3 });
  assert.equal(e.credits.expected, "3");
  const d = cm.decide({ estimate: e, balance: "10" });
  assert.equal(d.funding, "credits");
  assert.equal(d.reserve, "3");
}

function throwsCoded(fn, code, label) {
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `${label}: throws an Error (got ${caught})`);
  assert.ok(CODES.has(caught.code), `${label}: has a known code (got ${caught.code}: ${caught.message})`);
  if (code) assert.equal(caught.code, code, `${label}: ${caught.message}`);
  assert.ok(caught.message.length > 0 && caught.message.length < 2000, `${label}: clear, bounded message`);
  stillWorks();
  return caught;
}

const lone = "\uD800abc\uDFFF";
const oneMB = "a".repeat(1 << 20);
const hostile = [
  ["undefined", undefined], ["null", null], ["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity],
  ["-1", -1], ["1e400", 1e400], ["true", true], ["array", [1, 2]], ["symbol", Symbol("s")], ["bigint", 5n],
  ["function", () => 1], ["Date", new Date(0)], ["Map", new Map([["operation", "message"]])],
];

test("estimateTokens: counts, and refuses non-strings and unknown encodings", () => {
  assert.equal(typeof cm.estimateTokens("The quick brown fox.", "o200k_base"), "number");
  for (const [label, v] of hostile) {
    throwsCoded(() => cm.estimateTokens(v, "o200k_base"), "BAD_INPUT", `text=${label}`);
    throwsCoded(() => cm.estimateTokens("x", v), "BAD_INPUT", `encoding=${label}`);
  }
  throwsCoded(() => cm.estimateTokens(), "BAD_INPUT", "no arguments");
  throwsCoded(() => cm.estimateTokens("x", "p50k_base"), "UNKNOWN_ENCODING", "p50k_base");
  throwsCoded(() => cm.estimateTokens("x", lone), "UNKNOWN_ENCODING", "lone surrogate encoding");
  throwsCoded(() => cm.estimateTokens("x", oneMB), "UNKNOWN_ENCODING", "1 MB encoding name");
  assert.ok(cm.estimateTokens(lone, "o200k_base") >= 1);
  assert.ok(cm.estimateTokens(oneMB, "cl100k_base") > 1000);
  stillWorks();
});

test("estimate: hostile requests throw coded errors", () => {
  for (const [label, v] of hostile) throwsCoded(() => cm.estimate(v), "BAD_INPUT", label);
  const cases = [
    [{}, "BAD_INPUT"],
    [{ operation: 42 }, "BAD_INPUT"],
    [{ operation: "nope" }, "UNKNOWN_OPERATION"],
    [{ operation: lone }, "BAD_INPUT"],
    [{ operation: oneMB }, "UNKNOWN_OPERATION"],
    [{ operation: "message", inputTokens: 10, model: "acme/none" }, "UNKNOWN_MODEL"],
    [{ operation: "message" }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: -1 }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: 1.5 }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: NaN }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: Infinity }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: -Infinity }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: 1e400 }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: 2 ** 53 }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: "10" }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: 2n ** 60n }, "BAD_INPUT"],
    [{ operation: "message", inputTokens: -1n }, "BAD_INPUT"],
    [{ operation: "message", text: "x", encoding: "gpt2" }, "BAD_INPUT"],
    [{ operation: "message", text: "x", extra: 1 }, "BAD_INPUT"],
    [JSON.parse('{"operation":"message","text":"x","__proto__":{"admin":true}}'), "BAD_INPUT"],
    [{ operation: "flashcards.generate", note: 42 }, "BAD_INPUT"],
    [{ operation: "flashcards.generate", note: null }, null],
    [{ operation: "flashcards.generate", cards: 2 ** 53 - 1 }, "BAD_INPUT"],
  ];
  for (const [req, code] of cases) {
    if (code === null) continue;
    throwsCoded(() => cm.estimate(req), code, JSON.stringify(req, (k, v) => (typeof v === "bigint" ? `${v}n` : v))?.slice(0, 80));
  }
  // BigInts, lone surrogates and throwing getters cannot pass through JSON: coded errors.
  throwsCoded(() => cm.estimate({ operation: "message", inputTokens: 10n }), "BAD_INPUT", "bigint count");
  throwsCoded(() => cm.estimate({ operation: "flashcards.generate", note: lone }), "BAD_INPUT", "lone surrogate note");
  throwsCoded(() => cm.estimate({ operation: "message", get text() { throw new Error("boom"); } }), "BAD_INPUT", "throwing getter");
  // A Proxy that lies about everything.
  const proxy = new Proxy({}, { get: () => { throw new Error("proxy"); }, ownKeys: () => { throw new Error("keys"); } });
  throwsCoded(() => cm.estimate(proxy), "BAD_INPUT", "hostile proxy");
});

test("estimate: odd but valid notes are estimated", () => {
  for (const note of [oneMB, "---\n".repeat(10000), ">".repeat(100000), "%%", "$$".repeat(1000), "\u0000"]) {
    const e = cm.estimate({ operation: "flashcards.generate", note });
    assert.ok(e.cards.low <= e.cards.expected && e.cards.expected <= e.cards.high);
  }
  stillWorks();
});

test("decide: hostile balances and estimates throw coded errors", () => {
  const est = cm.estimate({ operation: "flashcards.generate", cards: 12 });
  for (const balance of ["-1", "1e400", "NaN", "Infinity", "-Infinity", "", " 5", "12,5", lone, oneMB, 12.5, NaN, Infinity, -1, null, true, {}, []]) {
    throwsCoded(() => cm.decide({ estimate: est, balance }), "BAD_INPUT", `balance=${String(balance).slice(0, 20)}`);
  }
  for (const [label, v] of hostile) throwsCoded(() => cm.decide(v), "BAD_INPUT", label);
  throwsCoded(() => cm.decide({ estimate: { ...est, credits: { low: "1", expected: "NaN", high: "2" } }, balance: "5" }), "BAD_INPUT", "NaN credits");
  throwsCoded(() => cm.decide({ estimate: { ...est, credits: { low: "9", expected: "1", high: "2" } }, balance: "5" }), "BAD_INPUT", "unordered");
  throwsCoded(() => cm.decide({ estimate: { ...est, operation: "nope" }, balance: "5" }), "UNKNOWN_OPERATION", "unknown op");
  throwsCoded(() => cm.decide({ estimate: est, byok: "yes", balance: "5" }), "BAD_INPUT", "byok string");
  throwsCoded(() => cm.decide({ estimate: est }), "BAD_INPUT", "no balance");
  const d = cm.decide({ estimate: est, balance: "11.999" });
  assert.equal(d.funding, "insufficient");
  assert.equal(d.shortfall, "0.001");
});

test("catalogs: malformed JSON and bad amounts are BAD_CATALOG", () => {
  const def = cm.defaultCatalog();
  assert.equal(def.format, 1);
  assert.deepEqual(JSON.parse(JSON.stringify(def)), def, "JSON-compatible");
  for (const text of ["", "{", "null", "[]", "{\"format\":1}", oneMB, lone, "{\"format\":1e400}"]) {
    throwsCoded(() => cm.loadCatalog(text), "BAD_CATALOG", `text ${text.slice(0, 20)}`);
  }
  for (const [label, v] of hostile) throwsCoded(() => cm.loadCatalog(v), "BAD_CATALOG", label);
  for (const amount of ["-1", "1e400", "NaN", "Infinity", "0", 200, null]) {
    throwsCoded(() => cm.loadCatalog({ ...def, creditsPerUsd: amount }), "BAD_CATALOG", `creditsPerUsd=${amount}`);
  }
  throwsCoded(() => cm.loadCatalog({ ...def, packages: [{ id: "x", name: "X", credits: "10", priceUsd: "-1" }] }), "BAD_CATALOG", "negative price");
  throwsCoded(() => cm.loadCatalog({ ...def, models: [...def.models, def.models[0]] }), "BAD_CATALOG", "duplicate model");
  const c = cm.loadCatalog(JSON.stringify({ ...def, revision: "r2" }));
  assert.equal(c.revision, "r2");
  assert.deepEqual(c.packages().map((p) => [p.name, p.total, p.priceUsd, p.perCreditUsd]), [
    ["Starter", "500", "2.5", "0.005"],
    ["Pro", "3000", "10", "0.003333"],
    ["Power User", "8500", "25", "0.002941"],
  ]);
  for (const [label, v] of hostile) throwsCoded(() => c.estimate(v), "BAD_INPUT", `catalog.estimate ${label}`);
  for (const [label, v] of hostile) throwsCoded(() => c.decide(v), "BAD_INPUT", `catalog.decide ${label}`);
  throwsCoded(() => cm.Catalog.load(undefined), "BAD_CATALOG", "Catalog.load()");
  assert.equal(cm.Catalog.default().revision, def.revision);
});

test("calibrate: learns a user's ratio through JSON round trips, refuses bad state", () => {
  const note = "Cells divide. Cells grow. Cells die. Cells talk. Cells move. Cells eat.".repeat(4);
  let state = null;
  let first;
  for (let i = 0; i < 10; i++) {
    const est = cm.estimate({ operation: "flashcards.generate", note, calibration: state });
    first ??= est.cards.expected;
    state = JSON.parse(JSON.stringify(cm.calibrate({ state, estimate: est, cards: first * 3, outputTokens: first * 3 * 90 })));
  }
  const tuned = cm.estimate({ operation: "flashcards.generate", note, calibration: state });
  assert.equal(tuned.cards.expected, first * 3);
  assert.equal(tuned.outputTokens.expected, first * 3 * 90);
  assert.equal(state.cardRatio, "3");
  const est = cm.estimate({ operation: "flashcards.generate", note });
  for (const bad of [
    { state: { ...state, cardRatio: "1e400" }, estimate: est, cards: 1 },
    { state: { ...state, cardRatio: "500" }, estimate: est, cards: 1 },
    { state: { ...state, v: 2 }, estimate: est, cards: 1 },
    { state, estimate: est, cards: -1 },
    { state, estimate: est, cards: NaN },
    { state, estimate: cm.estimate({ operation: "message", inputTokens: 1 }), cards: 1 },
    { state, cards: 1 },
    null, 5, "x",
  ]) {
    throwsCoded(() => cm.calibrate(bad), "BAD_INPUT", `calibrate ${JSON.stringify(bad)?.slice(0, 60)}`);
  }
  throwsCoded(() => cm.estimate({ operation: "flashcards.generate", note, calibration: { ...state, cardRatio: "-1" } }), "BAD_INPUT", "bad calibration in estimate");
});
