// Conformance: agents (PROTOCOL §12.6) through the client package against the independent
// ledger: the snapshot's `agents` reach status(), a reserve for an agent that is not listed
// active is refused locally (nothing saved), without `agents` the ledger decides
// (AGENT_INACTIVE), and commits count toward the active agent's cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, rejection, acks, ACCOUNT } from './host.js';

const TTS = 'ttsCharacters';
const CYCLE_END = Date.UTC(2026, 1, 5);

function withAgents(agents) {
  return setup({
    grant: '500',
    account: { allowances: [{ kind: TTS, unitsPerCredit: '300', onShortfall: 'convert' }], creditStep: '0.001', agents },
    prepare: (ledger) => ledger.convert(ACCOUNT, TTS, '10'),
  });
}

test('§12.6: the snapshot\'s agents reach status() as signed', async () => {
  const f = await withAgents([{ id: 'bot', cycleEnd: CYCLE_END }, { id: 'old', status: 'inactive', cycleEnd: CYCLE_END - 1 }]);
  assert.deepEqual(f.meter.status().agents, f.ledger.view(ACCOUNT, 'laptop').agents);
  assert.deepEqual(f.meter.status().agents.map((g) => [g.id, g.status]), [['bot', 'active'], ['old', 'inactive']]);
  f.close();
});

test('§12.6 client: with agents in the snapshot, a reserve for an agent not listed active is AGENT_INACTIVE locally (nothing saved)', async () => {
  const f = await withAgents([{ id: 'bot', cycleEnd: CYCLE_END }, { id: 'old', status: 'inactive', cycleEnd: CYCLE_END - 1 }]);
  for (const agentId of ['old', 'nobody']) {
    for (const args of [{ amount: '1' }, { unit: TTS, units: 5 }]) {
      const e = await rejection(f.meter.reserve({ operation: 'tts', agentId, ...args }));
      assert.equal(e.code, 'AGENT_INACTIVE', `${agentId} ${JSON.stringify(args)}`);
    }
  }
  assert.equal(f.meter.status().outbox, 0);
  assert.equal(f.host.pushes().length, 0);
  f.close();
});

test('§12.6 ledger: commits count toward the active agent\'s cycle; once inactive, the ledger refuses its reserves and counts nothing', async () => {
  const f = await withAgents([{ id: 'bot', cycleEnd: CYCLE_END }]);
  const u = await f.meter.reserve({ operation: 'tts', unit: TTS, units: 200, agentId: 'bot' });
  const c = await f.meter.reserve({ operation: 'flashcards.generate', amount: '5', agentId: 'bot' });
  await f.meter.sync();
  assert.deepEqual(f.host.pushes().flatMap((x) => x.request.mutations).map((m) => m.agentId), ['bot', 'bot']);
  await f.meter.commit(u.holdId, { units: 150 });
  await f.meter.commit(c.holdId, { credits: '4' });
  let s = await f.meter.sync();
  const [bot] = s.agents;
  assert.deepEqual([bot.cycleTtsCharacters, bot.cycleLlmTokens, bot.cycleCredits], [150, 0, '4']);

  // The agent stops on the ledger; this client's snapshot still says active until it syncs.
  f.ledger.setAgentStatus(ACCOUNT, 'bot', 'inactive');
  f.host.offline = true;
  const late = await f.meter.reserve({ operation: 'tts', unit: TTS, units: 10, agentId: 'bot' });
  f.host.offline = false;
  s = await f.meter.sync();
  acks(f.meter);
  const refused = f.host.pushes().at(-1).response.results[0];
  assert.deepEqual([refused.status, refused.code], ['refused', 'AGENT_INACTIVE']);
  assert.equal(s.agents[0].status, 'inactive');
  assert.equal((await rejection(f.meter.reserve({ operation: 'tts', unit: TTS, units: 10, agentId: 'bot' }))).code, 'AGENT_INACTIVE');
  // The usage happened within the room: its commit is charged, never refused for its agent.
  await f.meter.commit(late.holdId, { units: 10 });
  s = await f.meter.sync();
  const [commit] = acks(f.meter);
  assert.deepEqual([commit.kind, commit.status], ['commit', 'applied']);
  assert.equal(s.agents[0].cycleTtsCharacters, 150, 'an inactive agent\'s usage counts for the account only');
  f.close();
});

test('§12.6: without agents in the snapshot the client cannot tell and the ledger refuses (AGENT_INACTIVE)', async () => {
  const f = await setup();
  assert.equal(f.ledger.view(ACCOUNT, 'laptop').agents, undefined);
  await f.meter.reserve({ operation: 'flashcards.generate', amount: '3', agentId: 'bot' });
  await f.meter.sync();
  const [ack] = acks(f.meter);
  assert.deepEqual([ack.status, ack.code, ack.confirmed], ['refused', 'AGENT_INACTIVE', false]);
  f.close();
});
