// Conformance: what the client does with snapshots and responses it must not trust
// (PROTOCOL §2.3, §3.1, §4, §5.5 step 1, §7): every tampered snapshot is refused with its
// code and changes nothing, key rotation, freshness, and the ledger's error bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, makeHost, openMeter, makeClock, rejection, ACCOUNT } from './host.js';
import { Ledger, newKey } from './ledger.js';

const OP = 'flashcards.generate';

/** Rewrites the envelope in every response (push and pull). */
function onEnvelope(f, edit) {
  const hook = (text) => {
    const r = JSON.parse(text);
    if (r.snapshot) edit(r.snapshot, r);
    return JSON.stringify(r);
  };
  f.host.pushHook = hook;
  f.host.pullHook = hook;
}
const onResponse = (f, edit) => {
  f.host.pushHook = f.host.pullHook = (text) => JSON.stringify(edit(JSON.parse(text)));
};
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64url');
const unb64 = (s) => Buffer.from(s, 'base64url').toString('utf8');

const TAMPERS = {
  BAD_SIGNATURE: {
    'a flipped signature bit': (f) => onEnvelope(f, (e) => {
      const s = Buffer.from(e.sig, 'base64url');
      s[7] ^= 1;
      e.sig = s.toString('base64url');
    }),
    'the payload changed after signing': (f) => onEnvelope(f, (e) => {
      e.payload = b64(unb64(e.payload).replace('"holdTtlMs":600000', '"holdTtlMs":600001'));
    }),
    'alg "ed25519" (not exactly "Ed25519")': (f) => (f.ledger.envelopeHook = (e) => ({ ...e, alg: 'ed25519' })),
    'envelope v 2': (f) => (f.ledger.envelopeHook = (e) => ({ ...e, v: 2 })),
    'a padded signature': (f) => onEnvelope(f, (e) => (e.sig += '==')),
  },
  UNKNOWN_KEY: {
    'a key id the client does not have': (f) => f.ledger.rotate('ledger-2099-01'),
  },
  BAD_RESPONSE: {
    'an extra envelope field': (f) => onEnvelope(f, (e) => (e.extra = 1)),
    'response v 1': (f) => onResponse(f, (r) => ({ ...r, v: 1 })),
    'response v 3': (f) => onResponse(f, (r) => ({ ...r, v: 3 })),
    'a null snapshot': (f) => onResponse(f, (r) => ({ ...r, snapshot: null })),
    'an unknown result status': (f) => onResponse(f, (r) => ({ ...r, results: r.results.map((x) => ({ ...x, status: 'accepted' })) })),
  },
  ROLLBACK: {
    'a lower seq': (f) => (f.ledger.payloadHook = (p) => JSON.stringify({ ...p, seq: 1 })),
  },
  WRONG_ACCOUNT: {
    'another device': (f) => (f.ledger.payloadHook = (p) => JSON.stringify({ ...p, deviceId: 'phone' })),
    'another account': (f) => (f.ledger.payloadHook = (p) => JSON.stringify({ ...p, accountId: 'acct-2' })),
  },
  BAD_SNAPSHOT: {
    'balance ≠ Σ remaining': (f) => (f.ledger.payloadHook = (p) => JSON.stringify({ ...p, balance: '99' })),
    'money as a JSON number': (f) => (f.ledger.payloadHook = (p) => JSON.stringify({ ...p, held: 0 })),
    'null allowances': (f) => (f.ledger.payloadHook = (p) => JSON.stringify({ ...p, allowances: null })),
    'expiresAt before issuedAt': (f) => (f.ledger.payloadHook = (p) => JSON.stringify({ ...p, expiresAt: p.issuedAt - 1 })),
    'a duplicate key': (f) => (f.ledger.payloadHook = (p) => JSON.stringify(p).replace('{', '{"seq":1,')),
  },
};

for (const [code, cases] of Object.entries(TAMPERS)) {
  for (const [name, tamper] of Object.entries(cases)) {
    test(`${code}: ${name} is refused and changes nothing, then an honest answer is taken`, async () => {
      const f = await setup();
      const kid = f.ledger.kid;
      const before = f.meter.status();
      tamper(f);
      await f.meter.reserve({ operation: OP, amount: '3' });
      const e = await rejection(f.meter.sync());
      assert.equal(e.code, code);
      const after = f.meter.status();
      assert.deepEqual([after.seq, after.balance, after.outbox], [before.seq, '100', 1]);
      assert.ok(f.meter.takeEvents().some((x) => x.type === 'syncFailed' && x.code === code));

      f.host.pushHook = f.host.pullHook = f.ledger.payloadHook = f.ledger.envelopeHook = null;
      f.ledger.kid = kid;
      const ok = await f.meter.sync();
      assert.equal(ok.outbox, 0);
      assert.ok(ok.seq > before.seq);
      f.close();
    });
  }
}

test('key rotation: a later key id resets the baseline, the same or an earlier one cannot roll back (§4)', async () => {
  const clock = makeClock();
  const ledger = new Ledger({ now: () => clock.t, kid: 'ledger-2026-01' });
  ledger.createAccount(ACCOUNT);
  ledger.grant(ACCOUNT, { id: 'g1', amount: '100' });
  const later = newKey();
  const earlier = newKey();
  const publicKeys = { ...ledger.publicKeys(), 'ledger-2026-07': later.pub, 'ledger-2025-01': earlier.pub };
  const meter = await openMeter(ledger, makeHost(ledger, clock), { publicKeys });
  await meter.sync();

  ledger.accounts.get(ACCOUNT).version = 1000; // a fast-forwarded seq (an attack or a ledger bug)
  assert.equal((await meter.sync()).seq, 1000);
  ledger.accounts.get(ACCOUNT).version = 5;
  assert.equal((await rejection(meter.sync())).code, 'ROLLBACK');
  ledger.rotate('ledger-2026-07', later);
  assert.equal((await meter.sync()).seq, 5, 'the later key is the new baseline');
  ledger.rotate('ledger-2025-01', earlier);
  ledger.accounts.get(ACCOUNT).version = 2000;
  assert.equal((await rejection(meter.sync())).code, 'ROLLBACK', 'an earlier key id is refused whatever its seq');
  ledger.kid = 'ledger-2026-07';
  assert.equal((await meter.sync()).seq, 2000);
  meter.close();
});

test('freshness: clock set back beyond the skew → clockUntrusted, spending bounded by the room; stale at expiresAt (§4)', async () => {
  const f = await setup();
  f.host.offline = true;
  assert.equal(f.meter.status().freshness, 'fresh');
  f.clock.advance(-300001);
  assert.equal(f.meter.status().freshness, 'clockUntrusted');
  assert.equal((await rejection(f.meter.reserve({ operation: OP, amount: '60' }))).code, 'OFFLINE_LIMIT');
  f.clock.advance(300001 + 299999);
  assert.equal(f.meter.status().freshness, 'fresh', 'one millisecond before expiresAt');
  f.clock.advance(1);
  assert.equal(f.meter.status().freshness, 'stale', 'at expiresAt');
  assert.equal((await rejection(f.meter.reserve({ operation: OP, amount: '51' }))).code, 'OFFLINE_LIMIT');
  const within = await f.meter.reserve({ operation: OP, amount: '50' });
  assert.equal(within.needsConfirmation, false);
  f.close();
});

test('ledger error bodies surface with their codes, and only well-formed ones (§5.5 step 1)', async () => {
  // A real refusal of this ledger: an account it does not know.
  const clock = makeClock();
  const ledger = new Ledger({ now: () => clock.t });
  const stranger = await openMeter(ledger, makeHost(ledger, clock), { accountId: 'nobody' });
  assert.equal((await rejection(stranger.sync())).code, 'UNKNOWN_ACCOUNT');
  stranger.close();

  const f = await setup();
  // [response edit, code of the syncFailed event, code of the Error sync() throws]
  const cases = [
    [() => ({ v: 2, error: { code: 'RATE_LIMITED', message: 'slow down' } }), 'RATE_LIMITED', 'RATE_LIMITED'],
    [(r) => ({ ...r, error: { code: 'STORAGE_FAILED' } }), 'STORAGE_FAILED', 'STORAGE_FAILED'], // error wins over a snapshot
    [() => ({ error: { code: 'UNKNOWN_ACCOUNT', message: 'x' } }), 'BAD_RESPONSE', 'BAD_RESPONSE'], // no v
    [() => ({ v: 1, error: { code: 'UNKNOWN_ACCOUNT', message: 'x' } }), 'BAD_RESPONSE', 'BAD_RESPONSE'],
    [() => ({ v: 2, error: { code: '!!!', message: 'x' } }), 'BAD_RESPONSE', 'BAD_RESPONSE'], // nothing left after filtering
    [() => ({ v: 2, error: { code: 'X', message: null } }), 'BAD_RESPONSE', 'BAD_RESPONSE'], // null message (§1.2)
    // A code that is none of the package's ErrorCodes: the event carries it filtered to
    // [A-Za-z0-9_], the thrown Error says BAD_RESPONSE (both §5.5 step 1).
    [() => ({ v: 2, error: { code: 'LIMIT-REACHED <b>', message: 'x' } }), 'LIMITREACHEDb', 'BAD_RESPONSE'],
  ];
  for (const [edit, eventCode, thrownCode] of cases) {
    onResponse(f, edit);
    const label = JSON.stringify(edit({ snapshot: {} }));
    assert.equal((await rejection(f.meter.sync())).code, thrownCode, label);
    const failed = f.meter.takeEvents().filter((e) => e.type === 'syncFailed');
    assert.equal(failed.at(-1)?.code, eventCode, label);
  }
  f.host.pushHook = f.host.pullHook = null;
  assert.equal((await f.meter.sync()).outbox, 0);
  f.close();
});

test('ROLLBACK: a higher seq with a lower lastMutationSeq is refused (§4)', async () => {
  const f = await setup();
  await f.meter.reserve({ operation: OP, amount: '3' });
  const synced = await f.meter.sync();
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').lastMutationSeq, 1);
  f.ledger.payloadHook = (p) => JSON.stringify({ ...p, seq: p.seq + 10, lastMutationSeq: 0 });
  assert.equal((await rejection(f.meter.sync())).code, 'ROLLBACK');
  assert.equal(f.meter.status().seq, synced.seq);
  f.close();
});

test('payloads the client accepts as the document says (§1.1 lenient reading, §1.2 nullable fields, §3.1 ledger-only rules)', async () => {
  const edit = (change) => (p) => JSON.stringify(change(p));
  const cases = {
    'null grant expiresAt and refundableUntil (§1.2)': [edit((p) => ({ ...p, grants: p.grants.map((g) => ({ ...g, expiresAt: null, refundableUntil: null })) })), (s) => s.balance === '100'],
    'optional fields absent': [edit(({ allowances, holds, lowBalance, ...p }) => ({ ...p, grants: p.grants.map(({ priority, ...g }) => g) })), (s) => s.grants[0].priority === 0],
    'unknown fields': [edit((p) => ({ ...p, future: { x: 1 }, grants: p.grants.map((g) => ({ ...g, note: 'n' })) })), (s) => s.balance === '100'],
    'trailing zeros': [edit((p) => ({ ...p, balance: '100.00', grants: p.grants.map((g) => ({ ...g, remaining: '100.0' })) })), (s) => s.balance === '100'],
    'offlineLimit "5e1" (lenient reading)': [edit((p) => ({ ...p, offlineLimit: '5e1' })), (s) => s.room === '50'],
    'offlineLimit ".5"': [edit((p) => ({ ...p, offlineLimit: '.5' })), (s) => s.room === '0.5'],
    'two grants with one id (counted both, §3.1)': [edit((p) => ({ ...p, balance: '200', grants: [...p.grants, ...p.grants] })), (s) => s.balance === '200'],
    'a low-balance level above the balance': [edit((p) => ({ ...p, lowBalance: ['150'] })), (s) => s.low === true],
  };
  for (const [name, [hook, check]] of Object.entries(cases)) {
    const f = await setup();
    f.ledger.payloadHook = hook;
    const s = await f.meter.sync();
    assert.ok(check(s), `${name}: ${JSON.stringify(s)}`);
    f.close();
  }
});

test('response bodies: not strict JSON is BAD_RESPONSE, a non-string is TRANSPORT_FAILED, unknown members are ignored (§1.1, §5.0, §5.5 step 1)', async () => {
  const f = await setup();
  const raw = [
    [(t) => '\ufeff' + t, 'BAD_RESPONSE'], // a byte-order mark
    [() => 'not json', 'BAD_RESPONSE'],
    [(t) => t + ' {}', 'BAD_RESPONSE'], // trailing text
    [(t) => t.replace('{"v":2,', '{"v":2,"v":2,'), 'BAD_RESPONSE'], // a duplicate key
    [(t) => JSON.stringify({ ...JSON.parse(t), results: null }), 'BAD_RESPONSE'], // null results (§1.2)
    [() => 42, 'TRANSPORT_FAILED'], // the host returned no string
  ];
  for (const [hook, code] of raw) {
    f.host.pullHook = hook;
    assert.equal((await rejection(f.meter.sync())).code, code, String(hook));
  }
  f.host.pullHook = (t) => JSON.stringify({ ...JSON.parse(t), ok: true, trace: 'x' });
  assert.equal((await f.meter.sync()).outbox, 0);
  f.close();
});
