// The conformance harness: the real client package (pkg/, built by scripts/build.sh),
// used through its public API as an app uses it, with a Meter host whose push and pull
// callbacks hand the request body to the independent ledger (ledger.js) in process.
// PROTOCOL §5.0 makes HTTP optional ("the host hands every body to the client
// unchanged"), so there is no server here: a body passes exactly as it would over HTTP.
//
// The host can go offline (its push/pull throws, as when there is no response), and
// hooks can rewrite or drop a response after the ledger produced it (a lost answer, a
// tampered one). The clock is the test's: the client and the ledger read the same one
// unless a test skews one of them.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ledger } from './ledger.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const client = await import(join(root, 'pkg', 'credit_meter.js'));
client.initSync({ module: readFileSync(join(root, 'pkg', 'credit_meter_bg.wasm')) });
export const { Meter } = client;

export const ACCOUNT = 'acct-1';
export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** A controllable clock shared by a ledger and its clients. */
export function makeClock(t = T0) {
  return { t, now() { return this.t; }, advance(ms) { this.t += ms; } };
}

/** A Meter host over `ledger`: storage in memory, transport in process. */
export function makeHost(ledger, clock, { state = null } = {}) {
  const host = {
    state,
    offline: false,
    /** (responseText, requestText) => responseText; may throw to lose the answer after the ledger applied it. */
    pushHook: null,
    pullHook: null,
    exchanges: [],
    events: [],
    load: () => host.state,
    save: (s) => {
      host.state = s;
    },
    pull: (req) => host.exchange('pull', req),
    push: (req) => host.exchange('push', req),
    now: () => clock.t,
    onEvent: (e) => host.events.push(e),
    exchange(kind, req) {
      if (host.offline) throw new Error('offline: no response');
      let text = JSON.stringify(ledger.handle(kind, req));
      const hook = kind === 'push' ? host.pushHook : host.pullHook;
      const exchange = { kind, request: JSON.parse(req), response: null };
      host.exchanges.push(exchange);
      if (hook) text = hook(text, req);
      try {
        exchange.response = JSON.parse(text);
      } catch {
        exchange.response = text; // not JSON: handed to the client as it is
      }
      return text;
    },
    /** The pushes this host sent, as parsed requests. */
    pushes: () => host.exchanges.filter((x) => x.kind === 'push'),
  };
  return host;
}

/** Opens a Meter as an app does. */
export function openMeter(ledger, host, { deviceId = 'laptop', publicKeys = ledger.publicKeys(), accountId = ACCOUNT } = {}) {
  return Meter.open({ accountId, deviceId, publicKeys, host, timeouts: { networkMs: 5000, storageMs: 5000 } });
}

/**
 * A ledger with one account holding `grant` credits (created with `account`, the options
 * of `Ledger.createAccount`; `prepare(ledger)` runs before the first sync), and a synced laptop.
 * Returns everything a test needs; call `close()` at the end.
 */
export async function setup({ grant = '100', ledger: ledgerOptions = {}, deviceId = 'laptop', account = {}, prepare = null } = {}) {
  const clock = makeClock();
  const ledger = new Ledger({ now: () => clock.t, ...ledgerOptions });
  ledger.createAccount(ACCOUNT, account);
  ledger.grant(ACCOUNT, { id: 'g1', amount: grant });
  if (prepare) prepare(ledger);
  const host = makeHost(ledger, clock);
  const meter = await openMeter(ledger, host, { deviceId });
  await meter.sync();
  meter.takeEvents();
  return { clock, ledger, host, meter, close: () => meter.close() };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, got a result');
}

/** The acknowledged events of a meter, in order. */
export const acks = (meter) => meter.takeEvents().filter((e) => e.type === 'acknowledged');
