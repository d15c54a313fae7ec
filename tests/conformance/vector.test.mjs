// Conformance: PROTOCOL §10's test vector, reproduced byte for byte by the independent
// signer (ledger.js) from the document's own text, and accepted by the client package as
// a ledger's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyFromSeed, signEnvelope } from './ledger.js';
import { Meter, rejection } from './host.js';

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'PROTOCOL.md'), 'utf8');
const block = /```test-vector\n([\s\S]*?)\n```/.exec(doc)[1];
const vector = Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]));

test('§10: key, domain, payload encoding, signature and envelope are reproduced byte for byte', () => {
  assert.deepEqual(Object.keys(vector).sort(), ['domain-hex', 'envelope', 'kid', 'payload', 'payload-base64url', 'public-key', 'seed-hex', 'sig']);
  const key = keyFromSeed(vector['seed-hex']);
  assert.equal(key.pub, vector['public-key']);
  assert.equal(Buffer.from('credit-meter/snapshot/v1\n').toString('hex'), vector['domain-hex']);
  const envelope = signEnvelope(vector.kid, key.priv, vector.payload);
  assert.equal(envelope.payload, vector['payload-base64url']);
  assert.equal(envelope.sig, vector.sig);
  assert.equal(JSON.stringify(envelope), vector.envelope);
});

/** A Meter for the vector's account and device whose ledger always answers `envelope`. */
async function meterAnswering(envelope) {
  const host = {
    state: null,
    load: () => host.state,
    save: (s) => void (host.state = s),
    pull: () => `{"v":2,"snapshot":${envelope},"results":[]}`,
    push: () => `{"v":2,"snapshot":${envelope},"results":[]}`,
    now: () => 1735689600000,
  };
  return Meter.open({ accountId: 'acct-42', deviceId: 'laptop', publicKeys: { [vector.kid]: vector['public-key'] }, host });
}

test('§10: the client accepts the vector envelope and reads its payload as §4 says', async () => {
  const meter = await meterAnswering(vector.envelope);
  const s = await meter.sync();
  assert.equal(s.seq, 17);
  assert.equal(s.balance, '412.5');
  assert.equal(s.heldOther, '12', 'held − holds this client placed (laptop:9 is not one of them)');
  assert.equal(s.available, '400.5');
  assert.equal(s.room, '50');
  assert.equal(s.low, false, '412.5 is not below the level 300');
  assert.equal(s.freshness, 'fresh');
  assert.deepEqual(s.grants.map((g) => [g.id, g.kind, g.remaining]), [['p-7:bonus', 'bonus', '100'], ['p-7', 'purchase', '312.5']]);
  meter.close();
});

test('§10: one changed character of the vector signature is BAD_SIGNATURE', async () => {
  const sig = vector.sig;
  const flipped = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
  const meter = await meterAnswering(vector.envelope.replace(sig, flipped));
  assert.equal((await rejection(meter.sync())).code, 'BAD_SIGNATURE');
  meter.close();
});
