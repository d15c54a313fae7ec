// Runs the bundled main.js — exactly what Obsidian would load — under Node, with a stub
// of the Obsidian API (obsidian-stub.cjs) and a ledger behind the stub's requestUrl,
// routed by the ledger's HTTP contract (POST /v1/push, POST /v1/pull, GET /v1/keys):
// the reference ledger in process (pkg-ledger), and, when CREDIT_METER_LEDGER_BIN names
// the credit-meter-ledger binary, the real server too. Every expectation comes from the
// ledger or the package's catalog.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as acorn from "acorn";
import { startLedgerService } from "../../../tests/support/ledger-service.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pluginDir = join(here, "..");
const root = join(pluginDir, "..", "..");
const require = createRequire(import.meta.url);
const mainJs = join(pluginDir, "main.js");

// `require("obsidian")` inside main.js gets the stub.
const Module = require("node:module");
const stubPath = join(here, "obsidian-stub.cjs");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === "obsidian" ? stubPath : resolve.call(this, request, ...rest);
};
const obsidian = require(stubPath);
const { control } = obsidian;

// The plugin's built-in endpoints (settings.ts DEFAULT_SETTINGS), and OpenRouter's.
const LEDGER = "https://ledger.example.com";
// The AI proxy is the ledger's own route (README "AI proxy"); here a canned reply stands in.
const PROXY = "https://ledger.example.com/v1/ai/chat/completions";
const OPENROUTER = "https://openrouter.ai/api/v1/chat/completions";
const OP = "flashcards.generate";
const ACCOUNT = "alice";

// The client package (for expectations: estimates, decisions, prices) and the ledger.
const client = await import(join(root, "pkg", "credit_meter.js"));
client.initSync({ module: readFileSync(join(root, "pkg", "credit_meter_bg.wasm")) });
const ref = await import(join(root, "pkg-ledger", "credit_meter.js"));
ref.initSync({ module: readFileSync(join(root, "pkg-ledger", "credit_meter_bg.wasm")) });

// ---- decimals without floats: credits in thousandths (the catalog's step is 0.001) ----
const milli = (d) => {
  assert.match(d, /^\d+(\.\d{1,3})?$/, `a decimal with at most 3 places: ${d}`);
  const [i, f = ""] = d.split(".");
  return BigInt(i) * 1000n + BigInt(f.padEnd(3, "0"));
};
const fromMilli = (m) => {
  const i = m / 1000n;
  const f = (m % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  return f ? `${i}.${f}` : `${i}`;
};

// ---- the ledgers ----
/** The reference ledger in process: {name, push, pull, keys, admin, close}, all async. */
function inProcessLedger() {
  const ledger = new ref.ReferenceLedger({ kid: "obsidian-test", seed: Buffer.alloc(32, 42).toString("base64url") });
  return {
    name: "in-process reference ledger",
    push: async (body) => ledger.push(body, Date.now()),
    pull: async (body) => ledger.pull(body, Date.now()),
    keys: async () => JSON.stringify(ledger.publicKeys()),
    admin: async (cmd) => ledger.admin(JSON.stringify(cmd), Date.now()),
    close: async () => {},
  };
}

/** The credit-meter-ledger service (tests/support/ledger-service.mjs: a fresh SQLite file,
 * an HS256 device-token secret, an admin token). */
async function serverLedger(bin) {
  const service = await startLedgerService(bin);
  return { name: `credit-meter-ledger server (${service.base})`, ...service };
}

/** The run in progress: its ledger, whether the ledger is reachable, every push it
 * answered ({mutations, results}), and the AI endpoints' canned answer (null: none expected). */
let world = null;
async function admin(cmd) {
  const out = JSON.parse(await world.ledger.admin(cmd));
  assert.ok(out.ok, JSON.stringify(out));
  return out.result;
}
const remote = () => admin({ op: "balance", accountId: ACCOUNT });

control.route = async (req) => {
  if (req.url === PROXY || req.url === OPENROUTER) {
    assert.ok(world.ai, `unexpected AI call to ${req.url}`);
    return world.ai(req);
  }
  if (req.url.startsWith(LEDGER + "/")) {
    if (!world.online) throw new Error("net::ERR_INTERNET_DISCONNECTED");
    const path = req.url.slice(LEDGER.length);
    // The plugin's own Authorization header goes to the ledger as it is ("": none sent).
    const bearer = (req.headers?.Authorization ?? "").replace(/^Bearer /, "");
    if (req.method === "POST" && path === "/v1/push") {
      const text = await world.ledger.push(req.body, bearer);
      world.pushes.push({ mutations: JSON.parse(req.body).mutations, results: JSON.parse(text).results ?? [] });
      return { status: 200, text };
    }
    if (req.method === "POST" && path === "/v1/pull") return { status: 200, text: await world.ledger.pull(req.body, bearer) };
    if (req.method === "GET" && path === "/v1/keys") return { status: 200, text: await world.ledger.keys() };
    return { status: 404, text: "not found" };
  }
  throw new Error(`unexpected request to ${req.url}`);
};

/** A chat-completions reply with `n` cards and the usage. */
function cannedReply(n, usage = { prompt_tokens: 420, completion_tokens: 60 * n }) {
  const cards = Array.from({ length: n }, (_, i) => ({ front: `Question ${i + 1}?`, back: `Answer ${i + 1}.` }));
  return () => ({
    status: 200,
    text: JSON.stringify({
      id: "gen-1",
      choices: [{ index: 0, message: { role: "assistant", content: JSON.stringify({ cards }) }, finish_reason: "stop" }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    }),
  });
}

// ---- the plugin, as Obsidian runs it ----
const readData = () => JSON.parse(readFileSync(control.dataPath, "utf8"));
const writeData = (d) => writeFileSync(control.dataPath, JSON.stringify(d, null, 2));
const loaded = [];

async function loadPlugin() {
  const { default: PluginClass } = require(mainJs);
  const plugin = new PluginClass(new obsidian.App(), JSON.parse(readFileSync(join(pluginDir, "manifest.json"), "utf8")));
  await plugin.onload();
  await plugin.ready;
  await control.idle();
  loaded.push(plugin);
  return plugin;
}
async function unload(plugin) {
  plugin.onunload();
  loaded.splice(loaded.indexOf(plugin), 1);
  await control.idle();
}
/** Runs a command as the palette would, then waits until the network is quiet (a real
 * ledger answers after the command has returned). */
async function run(plugin, id) {
  const command = plugin.commands.get(id);
  if (command.checkCallback) {
    // The palette lists it only where checkCallback(true) says so.
    if (command.checkCallback(true)) {
      command.checkCallback(false);
      await plugin.generation;
    }
  } else {
    await command.callback();
  }
  await control.idle();
}
function settingsTab(plugin) {
  const tab = plugin.settingTabs[0];
  tab.display();
  return tab;
}
function openNote(path, text) {
  control.files.set(path, text);
  control.activePath = path;
}

// ---- reading the log ----
const requests = () => control.log.filter((e) => e.kind === "request");
const ledgerRequests = () => requests().filter((e) => e.url.startsWith(LEDGER + "/"));
const aiRequests = () => requests().filter((e) => e.url === PROXY || e.url === OPENROUTER);
/** Index in the log of the first push carrying a mutation that matches. */
const pushIndex = (pred) =>
  control.log.findIndex((e) => e.kind === "request" && e.url === `${LEDGER}/v1/push` && JSON.parse(e.body).mutations.some(pred));
const pushedMutations = () =>
  ledgerRequests()
    .filter((e) => e.url === `${LEDGER}/v1/push`)
    .flatMap((e) => JSON.parse(e.body).mutations);
const snapshotPayload = (data) => JSON.parse(Buffer.from(data.meter.snapshot.payload, "base64url").toString("utf8"));
const lastNotice = () => control.notices[control.notices.length - 1];

/** The cost the catalog puts on `cards` generated cards. */
const cardCredits = (cards) => client.estimate({ operation: OP, cards }).credits.expected;

const list = (n, prefix) => Array.from({ length: n }, (_, i) => `- ${prefix} ${i + 1}: the definition of ${prefix.toLowerCase()} ${i + 1}`).join("\n");
const NORMAL = "# Cells\nThe cell is the basic unit of life. Every organism is made of cells.\n\n- Nucleus: holds the genetic material\n- Ribosome: builds proteins";

test("main.js is one CommonJS ES2018 file: no top-level await, only `obsidian` required", () => {
  assert.ok(existsSync(mainJs), "main.js is built (run-tests.sh runs esbuild first)");
  const code = readFileSync(mainJs, "utf8");
  // A script at ES2018 refuses top-level await, import/export, ?. and ?? and class fields.
  assert.doesNotThrow(() => acorn.parse(code, { ecmaVersion: 2018, sourceType: "script" }));
  const required = new Set([...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]));
  assert.deepEqual([...required], ["obsidian"]);
  // The .wasm is inlined: one base64 literal in main.js decodes to the package's bytes.
  const wasm = readFileSync(join(root, "pkg", "credit_meter_bg.wasm"));
  const inlined = [...code.matchAll(/"([A-Za-z0-9+/]{1000,}={0,2})"/g)].map((m) => Buffer.from(m[1], "base64"));
  assert.equal(inlined.length, 1);
  assert.ok(inlined[0].equals(wasm), "the inlined bytes are pkg/credit_meter_bg.wasm");
  const size = statSync(mainJs).size;
  console.log(`main.js: ${size} bytes, ${gzipSync(code, { level: 9 }).length} gzip -9`);
});

test("an OpenRouter key an older version kept in data.json moves to secret storage", async () => {
  control.dataPath = join(mkdtempSync(join(tmpdir(), "credit-meter-obsidian-")), "data.json");
  control.secrets.clear();
  writeFileSync(control.dataPath, JSON.stringify({ settings: { openRouterKey: "sk-or-v1-old" }, meter: null }));
  const plugin = await loadPlugin();
  assert.equal(plugin.app.secretStorage.getSecret(plugin.settings.openRouterSecret), "sk-or-v1-old");
  assert.ok(!readFileSync(control.dataPath, "utf8").includes("sk-or-v1-old"), "data.json no longer holds the key");
  await unload(plugin);
});

/** The scenario, against one ledger. */
async function scenario(t, ledger) {
  world = { ledger, online: true, pushes: [], ai: null };
  control.dataPath = join(mkdtempSync(join(tmpdir(), "credit-meter-obsidian-")), "data.json");
  control.files.clear();
  control.reset();
  control.secrets.clear();
  await admin({ op: "createAccount", accountId: ACCOUNT, policy: "trueRecall" });
  await admin({ op: "purchase", accountId: ACCOUNT, purchaseId: "order-1", packageId: "starter" });
  const start = (await remote()).balance;
  assert.ok(milli(start) > 0n);
  /** Credits committed by the plugin, as the catalog prices the canned replies. */
  const commits = [];
  let plugin;

  t.after(async () => {
    for (const p of [...loaded]) await unload(p);
    await ledger.close();
  });

  await t.test("empty data.json: no ledger calls until an account is set; then the first sync", async () => {
    assert.ok(!existsSync(control.dataPath));
    plugin = await loadPlugin();
    assert.equal(ledgerRequests().length, 0, "no account yet: nothing to sync");
    await settingsTab(plugin).field("Account ID").type(ACCOUNT);
    // The vendor's sign-in gave this device a token; it goes into Obsidian's secret storage.
    const token = ledger.deviceToken?.(ACCOUNT, plugin.settings.deviceId) ?? "token-the-in-process-ledger-ignores";
    plugin.app.secretStorage.setSecret("device-token", token);
    await settingsTab(plugin).field("Device token").type("device-token");
    await control.idle();
    assert.equal(ledgerRequests().length, 0, "typing the account opens nothing yet");
    await run(plugin, "sync-credits");
    const authorized = ledgerRequests().filter((e) => e.method === "POST").map((e) => e.headers?.Authorization);
    assert.ok(authorized.length > 0 && authorized.every((a) => a === `Bearer ${token}`), "push and pull carry the device token");
    assert.ok(!readFileSync(control.dataPath, "utf8").includes(token), "the token is not in data.json");
    const paths = ledgerRequests().map((e) => `${e.method} ${e.url.slice(LEDGER.length)}`);
    assert.equal(paths[0], "GET /v1/keys");
    assert.ok(paths.includes("POST /v1/pull"), paths.join(", "));
    assert.equal(lastNotice(), `Credits: ${start} left`);
    const data = readData();
    assert.equal(data.settings.accountId, ACCOUNT);
    const payload = snapshotPayload(data);
    assert.equal(payload.accountId, ACCOUNT);
    assert.equal(payload.deviceId, data.settings.deviceId);
    assert.equal(payload.balance, start);
  });

  await t.test("a frontmatter-only note estimates 0: no AI call, no reserve", async () => {
    const note = "---\ntags: [biology]\naliases: [cells]\n---\n";
    const est = client.estimate({ operation: OP, note });
    assert.equal(est.hasWork, false);
    assert.equal(est.credits.high, "0");
    openNote("Empty.md", note);
    control.reset();
    const before = (await remote()).balance;
    await run(plugin, "generate-flashcards");
    assert.match(lastNotice(), /^Nothing to generate from/);
    assert.equal(aiRequests().length, 0);
    assert.equal(pushedMutations().length, 0);
    assert.equal((await remote()).balance, before);
    assert.equal(control.files.get("Empty.md"), note, "the note is untouched");
  });

  await t.test("a normal note: estimate, reserve, AI reply, commit the actual, release the rest", async () => {
    const est = client.estimate({ operation: OP, note: NORMAL });
    const cards = est.cards.expected;
    const cost = cardCredits(cards);
    assert.ok(milli(cost) < milli(est.credits.high), "the actual is below the hold, so a rest is released");
    openNote("Cells.md", NORMAL);
    control.reset();
    world.ai = cannedReply(cards);
    const before = (await remote()).balance;
    await run(plugin, "generate-flashcards");

    const reserve = pushedMutations().find((m) => m.type === "reserve");
    assert.ok(reserve, "a reserve was pushed");
    assert.equal(reserve.amount, est.credits.high, "the hold is the high estimate");
    assert.equal(reserve.operation, OP);
    const [call] = aiRequests();
    assert.equal(aiRequests().length, 1);
    assert.equal(call.url, PROXY, "without an own key the vendor's proxy is called");
    assert.equal(call.headers["X-Credit-Hold"], reserve.holdId);
    assert.ok(pushIndex((m) => m.type === "reserve") < control.log.indexOf(call), "reserved before the AI call");
    const commit = pushedMutations().find((m) => m.type === "commit");
    assert.deepEqual([commit.holdId, commit.amount], [reserve.holdId, cost], "the actual is committed");
    assert.ok(pushIndex((m) => m.type === "commit") > control.log.indexOf(call));

    const after = await remote();
    assert.equal(after.balance, fromMilli(milli(before) - milli(cost)));
    assert.deepEqual(after.holds, [], "the rest of the hold went back");
    assert.equal(after.held, "0");
    assert.equal(lastNotice(), `Generated ${cards} flashcards · ${cost} credits · ${after.balance} left`);
    assert.equal((control.files.get("Cells.md").match(/^Question \d+\? :: Answer \d+\.$/gm) ?? []).length, cards);
    commits.push(cost);
  });

  await t.test("a long note asks first: declined spends nothing, accepted spends after the question", async () => {
    const note = `# Glossary\n${list(30, "Term")}`;
    const est = client.estimate({ operation: OP, note });
    const threshold = readData().settings.confirmAboveCredits;
    assert.ok(milli(est.credits.high) > milli(threshold), `${est.credits.high} > ${threshold}`);
    openNote("Glossary.md", note);
    const before = (await remote()).balance;

    control.reset();
    control.modalAnswers.push("Cancel");
    await run(plugin, "generate-flashcards");
    const [asked] = control.log.filter((e) => e.kind === "modal");
    assert.ok(asked, "a confirmation was shown");
    assert.equal(asked.answer, "Cancel", asked.error);
    assert.ok(asked.text.includes(`up to ${est.credits.high} credits`), asked.text);
    assert.equal(aiRequests().length, 0);
    assert.equal(pushedMutations().length, 0);
    assert.match(lastNotice(), /^Cancelled/);
    assert.equal((await remote()).balance, before);

    control.reset();
    const cards = est.cards.expected;
    const cost = cardCredits(cards);
    world.ai = cannedReply(cards);
    control.modalAnswers.push(`Spend up to ${est.credits.high} credits`);
    await run(plugin, "generate-flashcards");
    const modal = control.log.findIndex((e) => e.kind === "modal");
    assert.ok(modal >= 0);
    assert.equal(control.log[modal].answer, `Spend up to ${est.credits.high} credits`, control.log[modal].error);
    assert.ok(modal < pushIndex((m) => m.type === "reserve"), "asked before reserving");
    assert.ok(modal < control.log.indexOf(aiRequests()[0]), "asked before the AI call");
    const after = await remote();
    assert.equal(after.balance, fromMilli(milli(before) - milli(cost)));
    assert.deepEqual(after.holds, []);
    assert.equal(lastNotice(), `Generated ${cards} flashcards · ${cost} credits · ${after.balance} left`);
    commits.push(cost);
  });

  await t.test("an AI error releases the hold: no charge", async () => {
    openNote("Cells.md", NORMAL);
    control.reset();
    world.ai = () => ({ status: 500, text: JSON.stringify({ error: { message: "upstream overloaded" } }) });
    const before = (await remote()).balance;
    await run(plugin, "generate-flashcards");
    assert.equal(aiRequests().length, 1);
    const muts = pushedMutations();
    const reserve = muts.find((m) => m.type === "reserve");
    assert.ok(reserve);
    assert.ok(muts.some((m) => m.type === "release" && m.holdId === reserve.holdId), "the hold was released");
    assert.ok(!muts.some((m) => m.type === "commit"), "nothing was committed");
    assert.match(lastNotice(), /failed.*No credits were charged/);
    const after = await remote();
    assert.equal(after.balance, before);
    assert.deepEqual(after.holds, []);
  });

  await t.test("balance too low: no AI call, the shortfall and the options", async () => {
    const note = `# Atlas\n${list(600, "Place")}`;
    const est = client.estimate({ operation: OP, note });
    const balance = (await remote()).available;
    const expected = client.decide({ estimate: est, byok: false, balance });
    assert.equal(expected.funding, "insufficient");
    openNote("Atlas.md", note);
    control.reset();
    world.ai = null;
    await run(plugin, "generate-flashcards");
    assert.equal(aiRequests().length, 0);
    assert.equal(pushedMutations().length, 0);
    const msg = lastNotice();
    assert.ok(msg.startsWith("Not enough credits"), msg);
    assert.ok(msg.includes(`(${expected.shortfall} short)`), msg);
    assert.ok(msg.includes(`up to ${est.credits.high} credits and ${balance} are available`), msg);
    assert.ok(msg.includes(`buy ${expected.package.package.name} (${expected.package.package.total} credits`), msg);
    assert.ok(msg.includes("your own OpenRouter key"), msg);
    assert.equal((await remote()).balance, balance);
  });

  await t.test("ledger offline: the commit is queued in data.json and flushed exactly once after a restart", async () => {
    const est = client.estimate({ operation: OP, note: NORMAL });
    const cards = est.cards.expected;
    const cost = cardCredits(cards);
    assert.ok(milli(est.credits.high) <= milli(snapshotPayload(readData()).offlineLimit), "within the offline limit");
    openNote("Cells.md", NORMAL);
    const before = (await remote()).balance;
    control.reset();
    world.online = false;
    world.ai = cannedReply(cards);
    await run(plugin, "generate-flashcards");
    assert.equal(aiRequests().length, 1);
    const local = fromMilli(milli(before) - milli(cost));
    assert.ok(lastNotice().startsWith(`Generated ${cards} flashcards · ${cost} credits · ${local} left (offline`), lastNotice());
    assert.equal((await remote()).balance, before, "nothing reached the ledger");
    const queued = readData().meter.outbox.map((o) => o.mutation);
    const commit = queued.find((m) => m.type === "commit");
    assert.ok(commit && commit.amount === cost, JSON.stringify(queued));
    assert.ok(queued.some((m) => m.type === "reserve" && m.holdId === commit.holdId));

    await unload(plugin);
    world.online = true;
    control.reset();
    plugin = await loadPlugin();
    await run(plugin, "sync-credits");
    await run(plugin, "sync-credits");
    const after = await remote();
    assert.equal(after.balance, fromMilli(milli(before) - milli(cost)), "charged once");
    assert.deepEqual(after.holds, []);
    assert.equal(readData().meter.outbox.length, 0, "the queue is empty");
    const applied = world.pushes.flatMap((p) => p.results).filter((r) => r.seq === commit.seq && r.status === "applied");
    assert.equal(applied.length, 1, "the queued commit was applied exactly once");
    assert.equal(lastNotice(), `Credits: ${after.balance} left`);
    commits.push(cost);
  });

  await t.test("data.json edited by hand: the signature check fails, the cache is discarded and resynced", async () => {
    await unload(plugin);
    const data = readData();
    const payload = snapshotPayload(data);
    payload.balance = fromMilli(milli(payload.balance) + 100000n);
    payload.grants[0].remaining = fromMilli(milli(payload.grants[0].remaining) + 100000n);
    data.meter.snapshot.payload = Buffer.from(JSON.stringify(payload)).toString("base64url");
    writeData(data);
    control.reset();
    plugin = await loadPlugin();
    assert.ok(control.notices.some((n) => n.includes("failed its signature check")), control.notices.join("\n"));
    assert.ok(ledgerRequests().some((e) => e.url === `${LEDGER}/v1/pull`), "resynced");
    const balance = (await remote()).balance;
    assert.equal(snapshotPayload(readData()).balance, balance, "data.json holds the ledger's balance again");
    await run(plugin, "sync-credits");
    assert.equal(lastNotice(), `Credits: ${balance} left`);
  });

  await t.test("own key set: no ledger calls at all, before or after a restart", async () => {
    openNote("Cells.md", NORMAL);
    const cards = client.estimate({ operation: OP, note: NORMAL }).cards.expected;
    const before = (await remote()).balance;
    control.reset();
    world.ai = cannedReply(cards);
    // The key goes into Obsidian's secret storage; the setting names its entry.
    plugin.app.secretStorage.setSecret("openrouter", "sk-or-v1-test");
    await settingsTab(plugin).field("OpenRouter API key").type("openrouter");
    assert.ok(!readFileSync(control.dataPath, "utf8").includes("sk-or-v1-test"), "the key is not in data.json");
    await control.idle();
    await run(plugin, "generate-flashcards");
    await unload(plugin);
    plugin = await loadPlugin();
    await run(plugin, "generate-flashcards");
    assert.equal(ledgerRequests().length, 0, ledgerRequests().map((e) => e.url).join(", "));
    assert.equal(aiRequests().length, 2);
    for (const call of aiRequests()) {
      assert.equal(call.url, OPENROUTER);
      assert.equal(call.headers.Authorization, "Bearer sk-or-v1-test");
    }
    assert.match(lastNotice(), new RegExp(`^Generated ${cards} flashcards · your OpenRouter key .*no credits used$`));
    assert.equal((await remote()).balance, before);
  });

  await t.test("afterwards: remote = start − Σ commits, no open holds, data.json = settings + signed cache", async () => {
    const total = commits.reduce((s, c) => s + milli(c), 0n);
    const after = await remote();
    assert.equal(after.balance, fromMilli(milli(start) - total));
    assert.deepEqual(after.holds, []);
    assert.equal(after.held, "0");
    const consumed = after.grants.reduce((s, g) => s + milli(g.consumed), 0n);
    assert.equal(consumed, total, "the grants paid exactly the commits");
    // Every mutation the ledger saw was applied at most once.
    const seqs = world.pushes.flatMap((p) => p.results).filter((r) => r.status === "applied").map((r) => r.seq);
    assert.equal(new Set(seqs).size, seqs.length, "no seq applied twice");
    const data = readData();
    assert.deepEqual(Object.keys(data).sort(), ["meter", "settings"]);
    assert.ok(Object.values(data.settings).every((v) => typeof v === "string"));
    assert.deepEqual(Object.keys(data.meter.snapshot).sort(), ["alg", "kid", "payload", "sig", "v"]);
    assert.equal(data.meter.outbox.length, 0);
    assert.equal(snapshotPayload(data).balance, after.balance);
  });
}

test("the flashcard plugin, step by step, against the in-process reference ledger", (t) => scenario(t, inProcessLedger()));

// The same against the real server, when the binary is given (see run-tests.sh).
const bin = process.env.CREDIT_METER_LEDGER_BIN;
if (bin) {
  test("the flashcard plugin, step by step, against the credit-meter-ledger server", async (t) => {
    assert.ok(existsSync(bin), `CREDIT_METER_LEDGER_BIN=${bin} does not exist`);
    await scenario(t, await serverLedger(bin));
  });
}
