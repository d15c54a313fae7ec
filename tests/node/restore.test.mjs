// Issue 17 §1 in Node, on the release packages: the client package (pkg/) against the
// reference ledger (pkg-ledger/) and against the credit-meter-ledger service (the binary
// named by CREDIT_METER_LEDGER_BIN, default target/debug/credit-meter-ledger, on SQLite).
// A saved state restored offline, and one state run by two installations under the same
// device id (online and offline), lose nothing and charge nothing twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { serviceBinary, startLedgerService } from "../support/ledger-service.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
async function load(dir) {
  const m = await import(join(root, dir, "credit_meter.js"));
  m.initSync({ module: readFileSync(join(root, dir, "credit_meter_bg.wasm")) });
  return m;
}
const client = await load("pkg");
const full = await load("pkg-ledger");
const SEED = Buffer.alloc(32, 7).toString("base64url");

function newLedger() {
  const ledger = new full.ReferenceLedger({ kid: "k1", seed: SEED });
  ledger.admin(JSON.stringify({ op: "createAccount", accountId: "alice", policy: "trueRecall" }), Date.now());
  ledger.admin(JSON.stringify({ op: "purchase", accountId: "alice", purchaseId: "o1", packageId: "starter" }), Date.now());
  const balance = () => JSON.parse(ledger.admin(JSON.stringify({ op: "balance", accountId: "alice" }), Date.now())).result.balance;
  return { ledger, balance };
}

/** The reference ledger in this process, behind the interface both ledgers share. */
async function referenceLedger() {
  const { ledger, balance } = newLedger();
  return {
    pull: async (r) => ledger.pull(r, Date.now()),
    push: async (r) => ledger.push(r, Date.now()),
    publicKeys: async () => ledger.publicKeys(),
    balance: async () => balance(),
    close: async () => {},
    raw: ledger,
  };
}

/** The credit-meter-ledger service (tests/support/ledger-service.mjs) on a fresh SQLite
 * file, with account "alice" (True Recall, the starter package: 500 credits) created by
 * admin calls. */
async function serviceLedger() {
  const service = await startLedgerService(serviceBinary(root), { RUST_LOG: "warn" });
  const admin = service.adminOk;
  await admin({ op: "createAccount", accountId: "alice", policy: "trueRecall" });
  await admin({ op: "purchase", accountId: "alice", purchaseId: "o1", packageId: "starter" });
  return {
    pull: service.pull,
    push: service.push,
    publicKeys: async () => JSON.parse(await service.keys()),
    balance: async () => (await admin({ op: "balance", accountId: "alice" })).balance,
    close: service.close,
  };
}

const LEDGERS = [["reference ledger", referenceLedger], ["credit-meter-ledger service", serviceLedger]];

/** One installation: its own storage (starting from `saved`) and a network switch. */
async function installation(ledger, saved, deviceId = "laptop") {
  const inst = { saved, offline: false };
  const host = {
    load: async () => inst.saved,
    save: async (s) => { inst.saved = s; },
    pull: async (r) => { if (inst.offline) throw new Error("offline"); return ledger.pull(r); },
    push: async (r) => { if (inst.offline) throw new Error("offline"); return ledger.push(r); },
  };
  inst.meter = await client.Meter.open({ accountId: "alice", deviceId, publicKeys: await ledger.publicKeys(), host });
  return inst;
}

async function spend(inst, amount, used) {
  const hold = await inst.meter.reserve({ operation: "flashcards.generate", amount });
  await inst.meter.commit(hold.holdId, { credits: used });
  return hold.holdId;
}

async function settle(...insts) {
  for (let round = 0; round < 4; round++) {
    for (const i of insts) {
      i.offline = false;
      await i.meter.sync();
    }
  }
}

for (const [name, open] of LEDGERS) {
  test(`issue 17 §1 (${name}): restore S0 offline, reserve 10, commit 7, reconnect: the ledger has charged 12`, async () => {
    const ledger = await open();
    try {
      const a = await installation(ledger, null);
      await a.meter.sync();
      const s0 = a.saved;
      const first = await spend(a, "10", "5");
      await a.meter.sync();
      assert.equal(await ledger.balance(), "495");
      a.meter.close();

      const b = await installation(ledger, s0);
      b.offline = true;
      const second = await spend(b, "10", "7");
      assert.notEqual(second, first, "hold ids never collide across copies");
      await settle(b);
      assert.equal(await ledger.balance(), "488");
      assert.equal(b.meter.balance().outbox, 0);
      assert.equal(b.meter.balance().balance, "488");
      b.meter.close();
    } finally {
      await ledger.close();
    }
  });

  for (const offline of [false, true]) {
    test(`two installations with one device id (${name}), ${offline ? "offline" : "online"}: every commit charged once`, async () => {
      const ledger = await open();
      try {
        const a = await installation(ledger, null);
        await a.meter.sync();
        const b = await installation(ledger, a.saved);
        await b.meter.sync();
        a.offline = offline;
        b.offline = offline;
        let used = 0;
        for (let i = 1; i <= 4; i++) {
          await spend(a, "5", String(i));
          await spend(b, "5", `${i}.5`);
          used += i + i + 0.5;
          if (offline && i === 2) {
            b.offline = false;
            await b.meter.sync();
          }
        }
        await settle(a, b);
        assert.equal(a.meter.balance().outbox, 0);
        assert.equal(b.meter.balance().outbox, 0);
        assert.equal(await ledger.balance(), String(500 - used));
        a.meter.close();
        b.meter.close();
      } finally {
        await ledger.close();
      }
    });
  }
}

test("issue 17 §2: the 128-byte id rule is enforced at Meter.open", async () => {
  const { ledger } = newLedger();
  const host = { load: async () => null, save: async () => {}, pull: async (r) => ledger.pull(r, Date.now()), push: async (r) => ledger.push(r, Date.now()) };
  for (const deviceId of ["x".repeat(129), "a\u202Eb", "a:b"]) {
    await assert.rejects(client.Meter.open({ accountId: "alice", deviceId, publicKeys: ledger.publicKeys(), host }), (e) => e.code === "BAD_INPUT", JSON.stringify(deviceId));
  }
  const meter = await client.Meter.open({ accountId: "alice", deviceId: "y".repeat(128), publicKeys: ledger.publicKeys(), host });
  await meter.sync();
  assert.equal(meter.balance().balance, "500", "a 128-byte device id syncs");
  meter.close();
});

test("issue 17 §2: SnapshotGrant declares expiresAt and refundableUntil optional, as balance().grants leaves them out", async () => {
  const dts = readFileSync(join(root, "pkg", "index.d.ts"), "utf8");
  assert.match(dts, /interface SnapshotGrant \{[^}]*expiresAt\?: number;[^}]*refundableUntil\?: number;/);
  const ledger = await referenceLedger();
  const a = await installation(ledger, null, "grants");
  await a.meter.sync();
  const g = a.meter.balance().grants[0];
  assert.equal("expiresAt" in g, false, "a purchase never expires: the field is absent");
  a.meter.close();
});

test("issue 17 §2: a reserve the ledger refuses rejects with INSUFFICIENT_CREDITS and its details, and its hold ends", async () => {
  const ledger = await referenceLedger();
  ledger.raw.admin(JSON.stringify({ op: "setOfflineLimit", accountId: "alice", deviceId: "laptop", limit: "0" }), Date.now());
  const a = await installation(ledger, null);
  await a.meter.sync();
  // Another device takes 495 of the 500 after this one's snapshot.
  const b = await installation(ledger, null, "desk");
  await b.meter.sync();
  await b.meter.reserve({ operation: "flashcards.generate", amount: "495" });
  await assert.rejects(a.meter.reserve({ operation: "flashcards.generate", amount: "20" }), (e) => {
    assert.equal(e.code, "INSUFFICIENT_CREDITS");
    assert.equal(e.needed, "20");
    assert.equal(e.available, "5");
    assert.equal(e.shortfall, "15");
    assert.ok(Array.isArray(e.options) && e.options.includes("buyCredits"));
    assert.ok("package" in e);
    return true;
  });
  for (let i = 0; i < 5 && a.meter.balance().outbox > 0; i++) await a.meter.sync();
  const after = a.meter.balance();
  assert.equal(after.heldOwn, "0", "the refused hold no longer counts");
  assert.equal(after.outbox, 0, "its release was sent");
  assert.equal(await ledger.balance(), "500");
  a.meter.close();
  b.meter.close();
});
