// Issue 22, Done when (item 1): usage in an allowance's units through the JS Meter against
// the credit-meter-ledger service (the binary named by CREDIT_METER_LEDGER_BIN, default
// target/debug/credit-meter-ledger, on SQLite). An AssistLore account converts 10 credits
// into 3,000 TTS characters; 93 characters of audio leave 2,907 and the credits unchanged;
// exhausting the allowance converts the shortfall at the policy's 300 characters per
// credit (rounded up to 0.001) and charges it once, also when every push is sent twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { serviceBinary, startLedgerService } from "../support/ledger-service.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const client = await import(join(root, "pkg", "credit_meter.js"));
client.initSync({ module: readFileSync(join(root, "pkg", "credit_meter_bg.wasm")) });

async function lore() {
  const service = await startLedgerService(serviceBinary(root), { RUST_LOG: "warn" });
  const admin = service.adminOk;
  await admin({ op: "createAccount", accountId: "lore", policy: "assistLore" });
  await admin({ op: "signup", accountId: "lore" });
  return { service, admin };
}

/** A Meter on `service`; `twice()` makes every later push go out twice (a retry after a
 * lost answer), the Meter seeing only the second answer. */
async function meterOn(service) {
  let doubled = false;
  const host = {
    load: async () => null,
    save: async () => {},
    pull: (r) => service.pull(r),
    push: async (r) => {
      if (doubled) await service.push(r);
      return service.push(r);
    },
  };
  const meter = await client.Meter.open({ accountId: "lore", deviceId: "phone", publicKeys: JSON.parse(await service.keys()), host });
  await meter.sync();
  return { meter, twice: () => { doubled = true; } };
}

const tts = (meter) => meter.status().allowances.find((a) => a.kind === "ttsCharacters");

test("issue 22: TTS characters through the Meter draw the allowance, then convert the shortfall once", async () => {
  const { service, admin } = await lore();
  try {
    const converted = await admin({ op: "convert", accountId: "lore", allowance: "ttsCharacters", credits: "10" });
    assert.equal(converted.unitsAdded, 3000);
    const { meter, twice } = await meterOn(service);
    assert.deepEqual([meter.status().balance, tts(meter).remaining, tts(meter).unitsPerCredit], ["490", 3000, "300"]);

    // 93 characters of audio: the Meter's decision is in characters, and reserving it
    // reserves them (the allowance covers it: no credits held).
    const decision = meter.decide({ estimate: meter.estimate({ operation: "tts", characters: 93 }) });
    assert.deepEqual([decision.funding, decision.unit, decision.units, decision.reserve], ["credits", "ttsCharacters", 93, "0"], decision.reason);
    const hold = await meter.reserve(decision);
    assert.deepEqual([hold.amount, hold.units], ["0", 93], "the allowance covers it: no credits held");
    await meter.commit(hold.holdId, { units: 93 });
    await meter.sync();
    assert.equal(tts(meter).remaining, 2907);
    assert.equal(meter.status().balance, "490", "credits unchanged");
    assert.equal((await admin({ op: "balance", accountId: "lore" })).balance, "490");

    // Exhaust it: 3,000 characters, 2,907 from the allowance and 93 converted (0.31 credits).
    twice();
    const big = await meter.reserve({ operation: "tts", unit: "ttsCharacters", units: 3000 });
    assert.deepEqual([big.amount, big.units], ["0.31", 2907]);
    await meter.commit(big.holdId, { units: 3000 });
    await meter.sync();
    await meter.sync();
    assert.equal(tts(meter).remaining, 0);
    assert.equal(meter.status().balance, "489.69");
    assert.equal((await admin({ op: "balance", accountId: "lore" })).balance, "489.69", "charged once despite every push sent twice");
    // A commit in credits of a hold reserved in units is refused before anything is saved.
    const again = await meter.reserve({ operation: "tts", unit: "ttsCharacters", units: 1 });
    await assert.rejects(meter.commit(again.holdId, { credits: "1" }), (e) => e.code === "BAD_INPUT");
    await assert.rejects(meter.reserve({ operation: "tts", unit: "ttsCharacters", units: 1.5 }), (e) => e.code === "BAD_INPUT");
    // An operation or agent id the ledger would refuse on every sync (over 200 bytes) is
    // refused here, before anything is saved: the outbox does not grow.
    const queued = meter.status().outbox;
    for (const args of [{ operation: "t".repeat(201), amount: "1" }, { operation: "tts", agentId: "a".repeat(201), amount: "1" }]) {
      await assert.rejects(meter.reserve(args), (e) => e.code === "BAD_INPUT" && /200 bytes/.test(e.message));
    }
    assert.equal(meter.status().outbox, queued);
    meter.close();
  } finally {
    await service.close();
  }
});

const llm = (meter) => meter.status().allowances.find((a) => a.kind === "llmTokens");

test("issue 22 item 2: a message at the catalog's fixed token rate is decided and reserved in LLM tokens", async () => {
  const { service, admin } = await lore();
  try {
    // The built-in catalog charges messages 1,000 tokens per credit: the AssistLore policy's rate.
    const message = client.defaultCatalog().operations.find((o) => o.id === "message");
    assert.deepEqual(message.charge, { kind: "perToken", tokensPerCredit: "1000" });
    const converted = await admin({ op: "convert", accountId: "lore", allowance: "llmTokens", credits: "10" });
    assert.equal(converted.unitsAdded, 10000);
    const { meter } = await meterOn(service);
    assert.deepEqual([meter.status().balance, llm(meter).remaining, llm(meter).unitsPerCredit], ["490", 10000, "1000"]);

    // 1,800 prompt + 950 completion tokens: 2.75 credits in credits, 2,750 tokens from the allowance.
    const estimate = meter.estimate({ operation: "message", inputTokens: 1800, outputTokens: 950 });
    assert.equal(estimate.credits.high, "2.75");
    const decision = meter.decide({ estimate });
    assert.deepEqual([decision.funding, decision.unit, decision.units, decision.reserve], ["credits", "llmTokens", 2750, "0"], decision.reason);
    const hold = await meter.reserve(decision);
    assert.deepEqual([hold.amount, hold.units], ["0", 2750]);
    await meter.commit(hold.holdId, { units: 2750 });
    await meter.sync();
    assert.equal(llm(meter).remaining, 7250);
    assert.equal(meter.status().balance, "490", "credits unchanged");

    // Beyond the allowance: 8,250 tokens = 7,250 from it and 1,000 converted at the same rate (1 credit).
    const beyond = meter.decide({ estimate: meter.estimate({ operation: "message", inputTokens: 8000, outputTokens: 250 }) });
    assert.deepEqual([beyond.funding, beyond.units, beyond.reserve], ["credits", 8250, "1"], beyond.reason);
    const big = await meter.reserve(beyond);
    await meter.commit(big.holdId, { units: 8250 });
    await meter.sync();
    assert.equal(llm(meter).remaining, 0);
    assert.equal((await admin({ op: "balance", accountId: "lore" })).balance, "489", "the shortfall converted once, at 1,000 per credit");
    meter.close();
  } finally {
    await service.close();
  }
});
