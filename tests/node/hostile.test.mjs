// Hostile input over the whole JS API of pkg/ and pkg-ledger/: every export, every
// static and prototype method and getter, found by enumeration — an export that the
// table below does not cover turns this suite red. Each argument slot gets the values
// of its kind (wrong types, null/undefined/missing fields, NaN/±Infinity, negative and
// huge amounts, lone surrogates, a 10 MB string, `__proto__` keys, throwing getters and
// proxies): a refused call throws (or rejects with) an Error with a documented string
// `code` and a message, changes nothing that is persisted, and the same instance answers
// a known-good call as it did before. Expectations come from calls made first, never
// from hard-coded results.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
async function load(dir) {
  const m = await import(join(root, dir, "credit_meter.js"));
  m.initSync({ module: readFileSync(join(root, dir, "credit_meter_bg.wasm")) });
  return m;
}
const client = await load("pkg");
const full = await load("pkg-ledger");

// Every code the package may throw: the `ErrorCode` union of the generated .d.ts (itself
// generated from the protocol crate's list). A thrown code missing from it fails the test.
const dtsText = readFileSync(join(root, "pkg", "index.d.ts"), "utf8");
const union = /export type ErrorCode =([^;]*);/.exec(dtsText);
assert.ok(union, "the .d.ts declares the ErrorCode union");
const CODES = new Set([...union[1].matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]));
assert.ok(CODES.size >= 40, `the union lists every code (${CODES.size})`);

const T = 1_800_000_000_000;
const LONE = "\uD800abc\uDFFF";
const BIG = "x".repeat(10 * 1024 * 1024); // 10 MB
const SEED = Buffer.alloc(32, 7).toString("base64url");

// ---------------------------------------------------------------- hostile values
// Each entry: [label, () => value, expectation]; "throw": must be refused with a code;
// "either": may be accepted (it is a valid value for some slots) but never crashes.
const v = (label, make, expect = "throw") => [label, make, expect];
function throwingProxy() {
  const boom = () => { throw new Error("proxy trap"); };
  return new Proxy({}, { get: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, has: boom });
}
function revokedProxy() {
  const r = Proxy.revocable({}, {});
  r.revoke();
  return r.proxy;
}
const WRONG_TYPES = [
  v("number 1", () => 1), v("true", () => true), v("array", () => ["a"]), v("function", () => () => "x"),
  v("symbol", () => Symbol("s")), v("bigint", () => 5n), v("null", () => null), v("undefined", () => undefined),
  v("revoked proxy", revokedProxy),
];
const NUMBERS = [v("NaN", () => NaN), v("Infinity", () => Infinity), v("-Infinity", () => -Infinity), v("1e300", () => 1e300)];
const SLOT = {
  // Anything at all: a type guard answers false for whatever is not one of ours, never throws.
  anything: [...WRONG_TYPES, ...NUMBERS, v("object", () => ({})), v("plain Error", () => new Error("x")), v("throwing proxy", throwingProxy),
    v("fake CreditMeterError", () => Object.assign(new Error("x"), { name: "CreditMeterError", code: "NO_SUCH_CODE" }))].map(([l, make]) => v(l, make, "either")),
  // Any string is valid content (token counting): only wrong types are refused.
  text: [...WRONG_TYPES, ...NUMBERS, v("object", () => ({})), v("lone surrogates", () => LONE, "either"), v("10 MB", () => BIG, "either")],
  // A name from a fixed set (encoding, preset).
  name: [...WRONG_TYPES, ...NUMBERS, v("object", () => ({})), v("empty", () => ""), v("lone surrogates", () => LONE), v("10 MB", () => BIG), v("-1", () => "-1")],
  // An id the callee looks up or records (hold, purchase, agent): refused or accepted, never a crash.
  id: [...WRONG_TYPES, ...NUMBERS, v("object", () => ({})), v("empty", () => "", "either"), v("lone surrogates", () => LONE, "either"), v("10 MB", () => BIG, "either")],
  // A decimal amount string.
  amount: [...WRONG_TYPES, ...NUMBERS, v("number 12.5", () => 12.5), v("-1", () => "-1"), v("1e400", () => "1e400"), v("NaN text", () => "NaN"),
    v("Infinity text", () => "Infinity"), v("-Infinity text", () => "-Infinity"), v("empty", () => ""), v("spaced", () => " 5"), v("comma", () => "12,5"),
    v("lone surrogates", () => LONE), v("10 MB", () => BIG)],
  // A decimal string that may be negative (the money helpers: a difference goes below zero).
  signedAmount: [...WRONG_TYPES, ...NUMBERS, v("number 12.5", () => 12.5), v("-1", () => "-1", "either"), v("--1", () => "--1"), v("1e400", () => "1e400"),
    v("NaN text", () => "NaN"), v("Infinity text", () => "Infinity"), v("-Infinity text", () => "-Infinity"), v("empty", () => ""), v("spaced", () => " 5"),
    v("comma", () => "12,5"), v("lone surrogates", () => LONE), v("10 MB", () => BIG)],
  // formatAmount's options: absent is fine; a bad locale or digit count is refused.
  formatOptions: [v("null", () => null, "either"), v("undefined", () => undefined, "either"), v("number 1", () => 1), v("true", () => true),
    v("symbol", () => Symbol("s")), v("bigint", () => 5n), v("string", () => "de-DE"), v("throwing proxy", throwingProxy), v("revoked proxy", revokedProxy),
    v("empty object", () => ({}), "either"), v("locale number", () => ({ locale: 7 })), v("locale malformed", () => ({ locale: "not a locale!" })),
    v("locale lone surrogates", () => ({ locale: LONE })), v("locale 10 MB", () => ({ locale: BIG })), v("locale [number]", () => ({ locale: [1] })),
    v("digits -1", () => ({ maximumFractionDigits: -1 })), v("digits 21", () => ({ maximumFractionDigits: 21 })), v("digits 1.5", () => ({ maximumFractionDigits: 1.5 })),
    v("digits NaN", () => ({ maximumFractionDigits: NaN })), v("digits text", () => ({ maximumFractionDigits: "2" })), v("digits 1e300", () => ({ maximumFractionDigits: 1e300 }))],
  // Milliseconds since 1970.
  time: [v("number text", () => "1800000000000"), v("true", () => true), v("array", () => [T]), v("object", () => ({})), v("symbol", () => Symbol("t")),
    v("bigint", () => 5n), v("null", () => null), v("undefined", () => undefined), ...NUMBERS, v("-1", () => -1, "either"), v("1.5", () => 1.5), v("2^60", () => 2 ** 60)],
  // An optional count: absent is fine.
  optCount: [v("number text", () => "1"), v("true", () => true), v("object", () => ({})), v("bigint", () => 5n), v("NaN", () => NaN), v("Infinity", () => Infinity),
    v("-Infinity", () => -Infinity), v("1e300", () => 1e300), v("1.5", () => 1.5), v("null", () => null, "either"), v("undefined", () => undefined, "either"), v("-1", () => -1, "either")],
  // JSON text for the reference ledger: wrong types throw; bad text is answered, not thrown.
  body: [...WRONG_TYPES, ...NUMBERS, v("object", () => ({})), v("empty", () => "", "answer"), v("truncated", () => "{\"v\":1,", "answer"),
    v("lone surrogates", () => LONE, "answer"), v("10 MB", () => BIG, "answer"), v("__proto__", () => "{\"__proto__\":{\"v\":1},\"v\":1}", "answer"), v("null text", () => "null", "answer")],
};

// Whole-object hostiles for a slot that takes a plain object.
function objectValues({ strict, good, textOk }) {
  const base = [...WRONG_TYPES.filter(([l]) => l !== "null" && l !== "undefined"), ...NUMBERS,
    v("null", () => null), v("undefined", () => undefined), v("-1", () => -1), v("empty object", () => ({})),
    v("malformed text", () => "{\"a\":"), v("lone surrogate text", () => LONE), v("10 MB text", () => BIG),
    v("throwing proxy", throwingProxy),
    v("throwing getter", () => Object.defineProperty({ ...good() }, "boom", { enumerable: true, get() { throw new Error("getter"); } })),
    v("BigInt field", () => ({ ...good(), extraBig: 1n })),
    v("lone surrogate key", () => ({ ...good(), [LONE]: 1 }))];
  if (textOk) base.push(v("valid JSON text", () => JSON.stringify(good()), "either"));
  if (strict) {
    base.push(v("__proto__ key", () => JSON.parse(JSON.stringify(good()).replace(/^\{/, "{\"__proto__\":{\"x\":1},"))));
    base.push(v("unknown field", () => ({ ...good(), unknownField: 1 })));
  } else {
    base.push(v("__proto__ key", () => JSON.parse(JSON.stringify(good()).replace(/^\{/, "{\"__proto__\":{\"x\":1},")), "either"));
  }
  return base;
}

// Per-field hostiles of a good object: each own key removed or replaced.
function fieldValues({ good, required = [] }) {
  const out = [];
  const sample = good();
  for (const key of Object.keys(sample)) {
    const g = sample[key];
    const put = (label, make, expect) => out.push(v(`${key}=${label}`, () => ({ ...good(), [key]: make() }), expect));
    out.push(v(`${key} missing`, () => { const o = good(); delete o[key]; return o; }, required.includes(key) ? "throw" : "either"));
    const isDecimal = typeof g === "string" && /^\d+(\.\d+)?$/.test(g);
    const absentOk = required.includes(key) ? "throw" : "either";
    put("null", () => null, absentOk);
    put("NaN", () => NaN, absentOk); // JSON null
    put("Infinity", () => Infinity, absentOk);
    put("-Infinity", () => -Infinity, absentOk);
    put("bigint", () => 10n, "throw");
    put("symbol", () => Symbol("s"), absentOk); // JSON drops it
    put("lone surrogates", () => LONE, typeof g === "string" || typeof g === "object" ? "throw" : "either");
    if (typeof g === "string") {
      put("number", () => 7, "throw");
      put("array", () => [g], "throw");
      put("object", () => ({ v: g }), "throw");
      put("10 MB", () => BIG, isDecimal ? "throw" : "either");
      if (isDecimal) for (const a of ["-1", "1e400", "NaN", "Infinity", "", " 1", "1e300"]) put(`"${a}"`, () => a, "throw");
      if (isDecimal) put("number 12.5", () => 12.5, "throw");
    } else if (typeof g === "number") {
      put("string", () => String(g), "throw");
      put("-1", () => -1, "either");
      put("1.5", () => 1.5, "throw");
      put("1e300", () => 1e300, "throw");
      put("object", () => ({}), "throw");
    } else if (typeof g === "boolean") {
      put("string", () => "yes", "throw");
      put("number", () => 1, "throw");
    } else if (g && typeof g === "object") {
      put("string", () => "x", "throw");
      put("number", () => 1, "throw");
      put(Array.isArray(g) ? "object" : "array", () => (Array.isArray(g) ? {} : [g]), "throw");
    }
  }
  return out;
}

// ---------------------------------------------------------------- assertions
let cases = 0;
function assertCoded(err, label) {
  assert.ok(err instanceof Error, `${label}: throws an Error, got ${typeof err} ${String(err).slice(0, 80)}`);
  assert.equal(typeof err.code, "string", `${label}: the Error has a string code (${err.message?.slice(0, 200)})`);
  assert.ok(CODES.has(err.code), `${label}: a code of the ErrorCode union, got ${err.code}: ${err.message?.slice(0, 200)}`);
  assert.ok(client.isCreditMeterError(err), `${label}: isCreditMeterError recognises it`);
  assert.ok(typeof err.message === "string" && err.message.length > 0 && err.message.length < 4000, `${label}: a clear, bounded message`);
}
function preview(x) {
  try { return JSON.stringify(x)?.slice(0, 120); } catch { return String(typeof x); }
}
/** Runs one hostile call against a subject `{ state(), works() }`. */
async function hostileCall(label, subject, expect, call, { async = false } = {}) {
  if (process.env.HOSTILE_TRACE) console.error("case", label);
  cases += 1;
  const before = subject.state();
  let err;
  let value;
  let ret;
  try {
    ret = call();
  } catch (e) {
    err = e;
    assert.ok(!async, `${label}: an async method rejects, it does not throw synchronously (${e?.message})`);
  }
  if (async && !err) {
    assert.ok(ret instanceof Promise, `${label}: returns a Promise`);
    try { value = await ret; } catch (e) { err = e; }
  } else {
    value = ret;
  }
  if (err) {
    assertCoded(err, label);
    assert.equal(subject.state(), before, `${label}: a refused call changes nothing persisted`);
  } else {
    assert.notEqual(expect, "throw", `${label}: must be refused, returned ${preview(value)}`);
    if (expect === "answer") assert.match(String(value), /"(error|ok)":/, `${label}: answered with an error`);
    await subject.accepted?.(value);
  }
  await subject.works(label);
}

// ---------------------------------------------------------------- the table
// name → { slots: [slot spec…], good: (ctx) => args, subject: (ctx) => subject, async? }
// A slot spec is a key of SLOT, or { object: {strict, required, textOk} }.
const obj = (o = {}) => ({ object: o });
const note = "# Cells\nThe cell is the basic unit of life.\n\n- Nucleus: genetic material\n- Ribosome: proteins";

function functionSubject(m, name, good) {
  const expected = JSON.stringify(m[name](...good()));
  return { state: () => "", works: (label) => assert.equal(JSON.stringify(m[name](...good())), expected, `${label}: ${name} still answers as before`) };
}

function clientTable(m) {
  const est = () => m.estimate({ operation: "flashcards.generate", note });
  return {
    functions: {
      estimateTokens: { slots: ["text", "name"], good: () => ["Hello world, again.", "o200k_base"] },
      isCreditMeterError: { slots: ["anything"], good: () => [new Error("plain")] },
      compareAmounts: { slots: ["signedAmount", "signedAmount"], good: () => ["1.50", "-2"] },
      addAmounts: { slots: ["signedAmount", "signedAmount"], good: () => ["0.1", "0.2"] },
      subtractAmounts: { slots: ["signedAmount", "signedAmount"], good: () => ["0.1", "0.2"] },
      formatAmount: { slots: ["signedAmount", "formatOptions"], good: () => ["1234.5678", { locale: "de-DE", maximumFractionDigits: 3 }] },
      noteForModel: { slots: ["text"], good: () => [note] },
      estimate: { slots: [obj({ strict: true, required: ["operation"] })], good: () => [{ operation: "flashcards.generate", note, encoding: "cl100k_base" }] },
      decide: { slots: [obj({ strict: true, required: ["estimate"] })], good: () => [{ estimate: est(), balance: "100", byok: false }] },
      calibrate: { slots: [obj({ strict: true, required: ["estimate", "cards"] })], good: () => [{ state: null, estimate: est(), cards: 4, outputTokens: 300 }] },
      defaultCatalog: { slots: [], good: () => [] },
      loadCatalog: { slots: [obj({ strict: true, required: ["format", "revision", "creditsPerUsd", "creditStep", "operations"], textOk: true })], good: () => [m.defaultCatalog()], result: (c) => JSON.stringify(c.toJSON()) },
    },
    classes: {
      Catalog: {
        make: () => m.Catalog.load(m.defaultCatalog()),
        use: (c) => c.packages(),
        subject: (c) => ({ state: () => JSON.stringify(c.toJSON()), works: (label) => assert.equal(JSON.stringify(c.estimate({ operation: "message", inputTokens: 100 })), JSON.stringify(m.estimate({ operation: "message", inputTokens: 100 })), label) }),
        statics: {
          load: { slots: [obj({ strict: true, required: ["format", "revision", "creditsPerUsd", "creditStep", "operations"], textOk: true })], good: () => [m.defaultCatalog()], result: (c) => JSON.stringify(c.toJSON()) },
          default: { slots: [], good: () => [], result: (c) => c.revision },
        },
        methods: {
          estimate: { slots: [obj({ strict: true, required: ["operation"] })], good: () => [{ operation: "message", text: "Hello there" }] },
          decide: { slots: [obj({ strict: true, required: ["estimate"] })], good: () => [{ estimate: est(), balance: "2" }] },
          packages: { slots: [], good: () => [] },
          toJSON: { slots: [], good: () => [] },
        },
        getters: ["revision"],
      },
    },
  };
}

function ledgerTable(m) {
  const policy = () => m.ledgerPolicy("trueRecall");
  const account = () => {
    const a = new m.LedgerAccount("trueRecall");
    a.purchase({ purchaseId: "p1", packageId: "starter" }, T);
    a.reserve({ holdId: "h1", amount: "5", operation: "flashcards.generate" }, T);
    return a;
  };
  return {
    functions: {
      ledgerPolicy: { slots: ["name"], good: () => ["assistLore"] },
      replayLedger: { slots: [obj({ strict: true, required: ["policy", "entries"] })], good: () => [account().toJSON()] },
    },
    classes: {
      LedgerAccount: {
        make: account,
        use: (a) => a.toJSON(),
        construct: { slots: [obj({ strict: false, textOk: true })], good: () => [policy()] },
        subject: (a) => ({
          state: () => JSON.stringify(a.toJSON()),
          works: (label) => assert.equal(a.previewDebit("1", T).amount, "1", label),
        }),
        statics: { fromJSON: { slots: [obj({ strict: true, required: ["policy", "entries"], textOk: true })], good: () => [account().toJSON()], result: (a) => JSON.stringify(a.toJSON()) } },
        methods: {
          toJSON: { slots: [], good: () => [] }, policy: { slots: [], good: () => [] }, state: { slots: [], good: () => [] },
          takeNotices: { slots: [], good: () => [], mutates: true },
          entries: { slots: ["optCount"], good: () => [1] },
          advance: { slots: ["time"], good: () => [T], mutates: true },
          balance: { slots: ["time"], good: () => [T] },
          previewDebit: { slots: ["amount", "time"], good: () => ["3", T] },
          purchase: { slots: [obj({ strict: true, required: ["purchaseId", "packageId"] }), "time"], good: () => [{ purchaseId: "p-new", packageId: "pro" }, T], mutates: true },
          grantSignup: { slots: ["time"], good: () => [T], mutates: true },
          grant: { slots: [obj({ strict: true, required: ["id", "kind", "amount"] }), "time"], good: () => [{ id: "g-new", kind: "promotion", amount: "5" }, T], mutates: true },
          debit: { slots: [obj({ strict: true, required: ["amount", "operation"] }), "time"], good: () => [{ amount: "1", operation: "flashcards.generate" }, T], mutates: true },
          charge: { slots: [obj({ strict: true, required: ["operation", "credits"] }), "time"], good: () => [{ operation: "flashcards.generate", credits: "1" }, T], mutates: true },
          reserve: { slots: [obj({ strict: true, required: ["holdId", "amount", "operation"] }), "time"], good: () => [{ holdId: "h-new", amount: "2", operation: "flashcards.generate" }, T], mutates: true },
          commit: { slots: ["id", "amount", "time"], good: () => ["h1", "2", T], mutates: true },
          release: { slots: ["id", "time"], good: () => ["h1", T], mutates: true },
          refundQuote: { slots: ["id", "time"], good: () => ["p1", T] },
          refund: { slots: ["id", "time"], good: () => ["p1", T], mutates: true },
          changePlan: { slots: [obj({ strict: true, required: ["planId", "startsAt", "endsAt"] }), "time"], good: () => [{ planId: "pro", startsAt: T, endsAt: T + 1e9 }, T], mutates: true },
          startCycle: { slots: [obj({ strict: true, required: ["startsAt", "endsAt"] }), "time"], good: () => [{ startsAt: T, endsAt: T + 1e9 }, T], mutates: true },
          convert: { slots: [obj({ strict: true, required: ["allowance", "credits"] }), "time"], good: () => [{ allowance: "llmTokens", credits: "1" }, T], mutates: true },
          useAllowance: { slots: [obj({ strict: true, required: ["allowance", "units", "operation"] }), "time"], good: () => [{ allowance: "llmTokens", units: 10, operation: "message" }, T], mutates: true },
          activateAgent: { slots: ["id", "time"], good: () => ["agent-1", T], mutates: true },
          agents: { slots: ["time"], good: () => [T] },
        },
        getters: [],
      },
      ReferenceLedger: {
        make: () => {
          const l = new m.ReferenceLedger({ kid: "k1", seed: SEED });
          l.admin(JSON.stringify({ op: "createAccount", accountId: "alice", policy: "trueRecall" }), T);
          l.admin(JSON.stringify({ op: "purchase", accountId: "alice", purchaseId: "o1", packageId: "starter" }), T);
          return l;
        },
        use: (l) => l.publicKeys(),
        construct: { slots: [obj({ strict: true, required: ["kid", "seed"] })], good: () => [{ kid: "k2", seed: SEED, offlineLimit: "5", snapshotTtlMs: 1000 }] },
        subject: (l) => {
          const read = () => l.admin(JSON.stringify({ op: "balance", accountId: "alice" }), T);
          return { state: read, works: (label) => assert.deepEqual(l.publicKeys(), { k1: new m.ReferenceLedger({ kid: "k1", seed: SEED }).publicKeys().k1 }, label) };
        },
        methods: {
          publicKeys: { slots: [], good: () => [] },
          push: { slots: ["body", "time"], good: () => [JSON.stringify({ v: 2, accountId: "alice", deviceId: "d9", mutations: [] }), T], mutates: true },
          pull: { slots: ["body", "time"], good: () => [JSON.stringify({ v: 2, accountId: "alice", deviceId: "d9" }), T], mutates: true },
          admin: { slots: ["body", "time"], good: () => [JSON.stringify({ op: "balance", accountId: "alice" }), T] },
        },
        getters: [],
      },
    },
  };
}

// ---------------------------------------------------------------- coverage of the exports
// What wasm-bindgen generates around the API and takes no input of ours.
const LOADER = new Set(["default", "initSync"]);
function exportedSurface(m) {
  const out = [];
  for (const [name, value] of Object.entries(m)) {
    if (LOADER.has(name)) continue;
    if (typeof value === "function" && value.prototype && typeof value.prototype.free === "function") {
      out.push(`class ${name}`);
      for (const s of Object.getOwnPropertyNames(value)) {
        if (!["length", "name", "prototype"].includes(s) && !s.startsWith("__")) out.push(`${name}.${s}`);
      }
      for (const p of Reflect.ownKeys(value.prototype)) {
        if (p === "constructor" || (typeof p === "string" && p.startsWith("__"))) continue;
        out.push(`${name}#${String(p)}`);
      }
    } else {
      out.push(name);
    }
  }
  return out.sort();
}
function coveredSurface(table) {
  const out = [...Object.keys(table.functions)];
  for (const [name, c] of Object.entries(table.classes)) {
    out.push(`class ${name}`);
    for (const s of Object.keys(c.statics ?? {})) out.push(`${name}.${s}`);
    for (const p of [...Object.keys(c.methods), ...c.getters, "free", String(Symbol.dispose)]) out.push(`${name}#${p}`);
  }
  return out.sort();
}

// ---------------------------------------------------------------- running a table
function casesFor(slot, goodArg) {
  if (typeof slot === "string") return SLOT[slot];
  return [...objectValues({ ...slot.object, good: goodArg }), ...fieldValues({ ...slot.object, good: goodArg })];
}

async function settle(value) {
  return value instanceof Promise ? await value : value;
}

async function runCallable(label, spec, call, subject) {
  const goods = spec.good;
  if (spec.slots.length === 0) {
    // No parameters: extra hostile arguments are ignored; the answer stays the same.
    const shape = spec.result ?? ((x) => preview(x));
    const expected = shape(await settle(call(...goods())));
    for (const [l, make] of [...WRONG_TYPES, ...NUMBERS, v("10 MB", () => BIG), v("proxy", throwingProxy)]) {
      cases += 1;
      const got = shape(await settle(call(make(), make())));
      if (!spec.mutates) assert.equal(got, expected, `${label}(${l}): extra arguments are ignored`);
    }
    await subject.works(`${label}()`);
    return;
  }
  for (let i = 0; i < spec.slots.length; i++) {
    const goodArg = () => goods()[i];
    for (const [l, make, expect] of casesFor(spec.slots[i], goodArg)) {
      await hostileCall(`${label} arg ${i} ${l}`, subject, expect, () => {
        const args = goods();
        args[i] = make();
        return call(...args);
      }, { async: spec.async });
    }
  }
}

async function runTable(m, table, env) {
  const covered = coveredSurface(table);
  const missing = exportedSurface(m).filter((x) => !covered.includes(x));
  assert.deepEqual(missing, [], `${env}: exports without hostile cases`);
  for (const [name, spec] of Object.entries(table.functions)) {
    await runCallable(`${env} ${name}`, spec, (...a) => m[name](...a), functionSubject(m, name, spec.good));
  }
  for (const [cname, c] of Object.entries(table.classes)) {
    const Class = m[cname];
    await c.setup?.();
    const fresh = c.fresh ?? (async () => c.make());
    if (c.construct) {
      await runCallable(`${env} new ${cname}`, c.construct, (...a) => new Class(...a), c.subject(c.make()));
    } else {
      // No constructor from JS: an object made with `new` anyway refuses use.
      cases += 1;
      assert.throws(() => c.use(new Class()), Error, `${env} new ${cname}() is not usable`);
    }
    for (const [s, spec] of Object.entries(c.statics ?? {})) {
      await runCallable(`${env} ${cname}.${s}`, spec, (...a) => Class[s](...a), c.subject(c.make()));
    }
    for (const [meth, spec] of Object.entries(c.methods)) {
      // One instance takes every case of a method (a fresh one when the method ends it).
      const inst = spec.fresh ? await fresh() : c.make();
      await runCallable(`${env} ${cname}#${meth}`, spec, (...a) => inst[meth](...a), c.subject(inst));
    }
    for (const g of c.getters) {
      const inst = c.make();
      const get = Object.getOwnPropertyDescriptor(Class.prototype, g).get;
      const expected = get.call(inst);
      for (const [l, make] of [...WRONG_TYPES, v("10 MB", () => BIG)]) {
        cases += 1;
        assert.equal(get.call(inst, make()), expected, `${env} ${cname}#${g} ${l}`);
      }
    }
    const other = c.make();
    const subject = c.subject(other);
    const before = subject.state();
    for (const dispose of ["free", Symbol.dispose]) {
      // Freeing ignores its arguments and never touches another instance.
      for (const [l, make] of [...WRONG_TYPES, v("10 MB", () => BIG)]) {
        cases += 1;
        const inst = await fresh();
        inst[dispose](make(), make());
        assert.throws(() => c.use(inst), Error, `${env} ${cname}#${String(dispose)} ${l}: a freed instance refuses use`);
      }
    }
    assert.equal(subject.state(), before, `${env} ${cname}: freeing others changed nothing`);
    await subject.works(`${env} ${cname} after frees`);
  }
}

// ---------------------------------------------------------------- Meter
// A world: a reference ledger (pkg-ledger), a host whose callbacks can be swapped and
// counts what is in flight, and a store that keeps what the host saved.
async function world(m, deviceId) {
  const ledger = new full.ReferenceLedger({ kid: "k1", seed: SEED });
  ledger.admin(JSON.stringify({ op: "createAccount", accountId: "alice", policy: "trueRecall" }), Date.now());
  ledger.admin(JSON.stringify({ op: "purchase", accountId: "alice", purchaseId: "o1", packageId: "starter" }), Date.now());
  const store = { saved: null, inflight: 0 };
  const good = {
    load: async () => store.saved,
    save: async (s) => { store.saved = s; },
    pull: async (r) => ledger.pull(r, Date.now()),
    push: async (r) => ledger.push(r, Date.now()),
  };
  const impl = { ...good };
  const counted = (name) => (...a) => {
    store.inflight += 1;
    let r;
    try {
      r = impl[name](...a);
    } catch (e) {
      store.inflight -= 1;
      throw e;
    }
    Promise.resolve(r).then(() => { store.inflight -= 1; }, () => { store.inflight -= 1; });
    return r;
  };
  const host = { load: counted("load"), save: counted("save"), pull: counted("pull"), push: counted("push") };
  const options = (device = deviceId) => ({ accountId: "alice", deviceId: device, publicKeys: ledger.publicKeys(), host });
  const meter = await m.Meter.open(options());
  await meter.sync();
  const ledgerBalance = () => JSON.parse(ledger.admin(JSON.stringify({ op: "balance", accountId: "alice" }), Date.now())).result.balance;
  // Waits until no callback is in flight (a save after a response, a push after a save).
  const quiet = async () => {
    for (let still = 0; still < 3;) {
      await new Promise((r) => setImmediate(r));
      still = store.inflight === 0 ? still + 1 : 0;
    }
  };
  return { ledger, store, good, impl, host, options, meter, ledgerBalance, quiet };
}

/** What is persisted and what the meter shows: equal before and after refused calls. */
function meterState(w, meter = w.meter) {
  const b = meter.balance();
  return JSON.stringify({ saved: w.store.saved, balance: b.balance, outbox: b.outbox, heldOwn: b.heldOwn, pending: b.pending });
}

function withMeter(table, m) {
  let w;
  let holdId;
  let probes = 0;
  const est = () => w.meter.estimate({ operation: "flashcards.generate", note });
  const subject = (meter) => ({
    state: () => meterState(w, meter),
    works: async (label) => {
      assert.equal(JSON.stringify(meter.estimate({ operation: "message", inputTokens: 10 })), JSON.stringify(m.estimate({ operation: "message", inputTokens: 10 })), label);
      await w.quiet();
    },
    // A value the meter accepted: give a new hold back, close a new meter, and let the
    // sync that follows finish, so the next case starts from a quiet state.
    accepted: async (value) => {
      if (value?.holdId && value.holdId !== holdId) await meter.release(value.holdId);
      if (value instanceof m.Meter) value.close();
      await w.quiet();
    },
  });
  const openHost = () => ({ load: async () => w.store.saved, save: async () => {}, pull: async () => "{}", push: async () => "{}" });
  const meterClass = {
    setup: async () => {
      w = await world(m, `hostile-${m === client ? "pkg" : "ledger"}`);
      holdId = (await w.meter.reserve({ operation: "flashcards.generate", amount: "3" })).holdId;
      await w.quiet();
    },
    make: () => w.meter,
    fresh: async () => {
      probes += 1;
      // A device of its own with a store of its own: what it saves never touches w.store.
      const own = { load: async () => null, save: async () => {}, pull: w.good.pull, push: w.good.push };
      const meter = await m.Meter.open({ ...w.options(`probe-${probes}`), host: own });
      await w.quiet();
      return meter;
    },
    use: (meter) => meter.balance(),
    subject,
    statics: {
      open: {
        async: true,
        slots: [obj({ strict: true, required: ["accountId", "deviceId", "publicKeys", "host"] })],
        good: () => [{ accountId: "alice", deviceId: "open-probe", publicKeys: w.ledger.publicKeys(), host: openHost() }],
      },
    },
    methods: {
      estimate: { slots: [obj({ strict: true, required: ["operation"] })], good: () => [{ operation: "flashcards.generate", note }] },
      decide: { slots: [obj({ strict: true, required: ["estimate"] })], good: () => [{ estimate: est(), byok: false }] },
      reserve: { async: true, slots: [obj({ strict: false, required: ["operation"] })], good: () => [{ operation: "flashcards.generate", amount: "1" }] },
      commit: { async: true, slots: ["id", obj({ strict: true })], good: () => [holdId, { credits: "1" }] },
      release: { async: true, slots: ["id"], good: () => ["no-such-hold"] },
      sync: { slots: [], good: () => [], result: (b) => b.balance },
      balance: { slots: [], good: () => [], result: (b) => b.balance },
      status: { slots: [], good: () => [], result: (b) => b.balance },
      takeEvents: { slots: [], good: () => [], result: (e) => Array.isArray(e) },
      close: { slots: [], good: () => [], result: () => "", fresh: true },
    },
    getters: ["isOwner"],
  };
  return { ...table, classes: { ...table.classes, Meter: meterClass } };
}

test("every export of pkg/ takes hostile input with coded errors and keeps working", async () => {
  const before = cases;
  await runTable(client, withMeter(clientTable(client), client), "pkg");
  console.log(`pkg: ${cases - before} hostile cases`);
});

test("every export of pkg-ledger/ takes hostile input with coded errors and keeps working", async () => {
  const before = cases;
  const c = clientTable(full);
  const l = ledgerTable(full);
  const table = { functions: { ...c.functions, ...l.functions }, classes: { ...c.classes, ...l.classes } };
  await runTable(full, withMeter(table, full), "pkg-ledger");
  console.log(`pkg-ledger: ${cases - before} hostile cases`);
});

// ---------------------------------------------------------------- host callbacks
async function rejectsCoded(promise, label, codes) {
  assert.ok(promise instanceof Promise, `${label}: returns a Promise`);
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${label}: rejects`);
  assertCoded(err, label);
  if (codes) assert.ok(codes.includes(err.code), `${label}: ${err.code} is one of ${codes} (${err.message})`);
  return err;
}

/** Opens the state the host saved last in a second meter that never writes. */
async function reopen(m, w, device) {
  const saved = w.store.saved;
  const meter = await m.Meter.open({
    accountId: "alice", deviceId: device, publicKeys: w.ledger.publicKeys(),
    host: { load: async () => saved, save: async () => {}, pull: async () => "{}", push: async () => "{}" },
  });
  const b = meter.balance();
  meter.close();
  return { balance: b.balance, outbox: b.outbox, heldOwn: b.heldOwn };
}

test("Meter: host callbacks that return non-Promises, throw or reject give coded errors; nothing saved is corrupted; usage is charged once", async () => {
  const m = client;
  const device = "callbacks";
  const w = await world(m, device);
  const op = { operation: "flashcards.generate" };
  const bad = {
    "throws synchronously": () => { throw new Error("boom"); },
    "returns a rejecting thenable": () => ({ then: (_ok, fail) => fail(new Error("nope")) }),
    "returns a thenable whose then throws": () => ({ then() { throw new Error("then"); } }),
    "returns a rejected Promise": () => Promise.reject(new Error("offline")),
    "rejects with a non-Error": () => Promise.reject(42),
  };
  const notBodies = { "a number": () => 42, undefined: () => undefined, "an object": () => ({ v: 1 }), "a Promise of null": async () => null, "a Promise of an array": async () => ["{}"] };
  const reference = await reopen(m, w, device);
  let n = 0;

  // save: every failure refuses the operation (SAVE_FAILED); the last saved state is intact.
  for (const [label, f] of Object.entries(bad)) {
    w.impl.save = f;
    await rejectsCoded(w.meter.reserve({ ...op, amount: "1" }), `save ${label}`, ["SAVE_FAILED"]);
    w.impl.save = w.good.save;
    await w.quiet();
    assert.deepEqual(await reopen(m, w, device), reference, `save ${label}: the saved state opens as before`);
    n += 1;
  }
  // A save that returns a plain value (not a Promise) succeeds: a synchronous store.
  for (const value of [undefined, 0, "ok", { stored: true }]) {
    w.impl.save = (s) => { w.store.saved = s; return value; };
    const hold = await w.meter.reserve({ ...op, amount: "1" });
    await w.meter.release(hold.holdId);
    w.impl.save = w.good.save;
    await w.meter.sync();
    await w.quiet();
    assert.deepEqual(await reopen(m, w, device), reference, `save returning ${preview(value)}: accepted, nothing lost`);
    n += 1;
  }

  // pull and push: a failure or a non-string body fails the sync with a code, retried later.
  for (const cb of ["pull", "push"]) {
    for (const [label, f] of Object.entries({ ...bad, ...notBodies, "a malformed body": () => "{\"v\":1,", "a foreign body": () => "{\"v\":1}" })) {
      w.impl[cb] = f;
      const hold = cb === "push" ? await w.meter.reserve({ ...op, amount: "2" }) : null; // something to push
      await rejectsCoded(w.meter.sync(), `${cb} ${label}`, ["TRANSPORT_FAILED", "BAD_RESPONSE", "TIMEOUT"]);
      w.impl[cb] = w.good[cb];
      if (hold) await w.meter.release(hold.holdId);
      await w.meter.sync();
      await w.quiet();
      assert.deepEqual(await reopen(m, w, device), reference, `${cb} ${label}: the saved state opens as before`);
      n += 1;
    }
  }

  // load and now: Meter.open rejects with a code.
  for (const [label, f] of Object.entries({ ...bad, "a number": () => 42, "an object": () => ({ state: "x" }), "a Promise of a number": async () => 7 })) {
    await rejectsCoded(m.Meter.open({ ...w.options("load-probe"), host: { ...w.good, load: f } }), `load ${label}`, ["STORAGE_FAILED"]);
    n += 1;
  }
  for (const [label, f] of Object.entries({ "throws": bad["throws synchronously"], "a string": () => "now", NaN: () => NaN, "-1": () => -1, "a Promise": async () => Date.now(), "1e300": () => 1e300 })) {
    await rejectsCoded(m.Meter.open({ ...w.options("now-probe"), host: { ...w.good, now: f } }), `now ${label}`, ["HOST_FAILED"]);
    n += 1;
  }

  // Keys that are not Ed25519 public keys: BAD_KEY, as documented.
  for (const publicKeys of [{ k1: "not-a-key" }, { k1: 5 }, { k1: SEED.slice(0, 20) }, { "": w.ledger.publicKeys().k1 }]) {
    const err = await rejectsCoded(m.Meter.open({ ...w.options("key-probe"), publicKeys }), `publicKeys ${preview(publicKeys)}`, ["BAD_KEY"]);
    assert.match(err.message, /publicKeys/);
    n += 1;
  }

  // A push the ledger applied but whose answer was lost: retried, charged exactly once.
  const ledgerBefore = Number(w.ledgerBalance());
  const hold = await w.meter.reserve({ ...op, amount: "5" });
  await w.meter.sync();
  w.impl.push = async (r) => { w.ledger.push(r, Date.now()); return 42; };
  const committed = w.meter.commit(hold.holdId, { credits: "4" });
  await committed;
  await rejectsCoded(w.meter.sync(), "push applied, answer lost", ["TRANSPORT_FAILED"]);
  w.impl.push = w.good.push;
  const after = await w.meter.sync();
  await w.quiet();
  assert.equal(after.outbox, 0, "everything acknowledged");
  assert.equal(Number(w.ledgerBalance()), ledgerBefore - 4, "the commit is charged exactly once");
  assert.equal(after.balance, w.ledgerBalance(), "the meter shows the ledger's balance");
  const reopened = await reopen(m, w, device);
  assert.equal(reopened.balance, after.balance, "the saved state opens with the new balance");
  assert.equal(reopened.outbox, 0);
  w.meter.close();
  console.log(`host callbacks: ${n} misbehaving-callback cases`);
});

test("isCreditMeterError tells the package's errors from anything else", () => {
  let thrown;
  try {
    client.estimate({ operation: "no.such.thing" });
  } catch (e) {
    thrown = e;
  }
  assert.equal(thrown?.code, "UNKNOWN_OPERATION");
  assert.equal(client.isCreditMeterError(thrown), true);
  assert.equal(client.isCreditMeterError(new Error("plain")), false);
  assert.equal(client.isCreditMeterError(Object.assign(new Error("x"), { name: "CreditMeterError", code: "NO_SUCH_CODE" })), false);
  assert.equal(client.isCreditMeterError({ name: "CreditMeterError", code: "BAD_INPUT", message: "not an Error" }), false);
  assert.equal(client.isCreditMeterError(throwingProxy()), false);
  assert.equal(client.isCreditMeterError(revokedProxy()), false);
});
