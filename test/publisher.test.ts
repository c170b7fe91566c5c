import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Tpot2MispError } from '../src/errors.js';
import type { Sink } from '../src/misp/sink.js';
import { publishDueEvents } from '../src/publisher.js';
import { StateStore } from '../src/state.js';

/** Three delivered events of past days, due for publishing; MISP answers `refuse(uuid)` (or publishes). */
async function passes(refuse: (uuid: string) => Tpot2MispError | 'deleted' | undefined, count: number): Promise<{ published: string[]; attempts: number; attemptsOf: Map<string, number>; deleted: string[] }> {
  const state = StateStore.open(':memory:');
  const items = [{ uuid: 'i', fingerprint: 'f', tally: { firstSeen: 0, lastSeen: 0, count: 1, ports: [], portsTruncated: false, protocols: [], protocolsTruncated: false } }];
  state.commit('misp:x', [
    { eventUuid: 'e-a', honeypot: 'Cowrie', day: '2025-03-01', items },
    { eventUuid: 'e-b', honeypot: 'Cowrie', day: '2025-03-02', items },
    { eventUuid: 'e-c', honeypot: 'Dionaea', day: '2025-03-02', items },
  ], undefined, 1000);
  const published: string[] = [];
  let attempts = 0;
  const attemptsOf = new Map<string, number>();
  const sink: Sink = {
    id: 'misp:x',
    apply: async () => [],
    close: async () => {},
    publish: async (uuid: string) => {
      attempts++;
      attemptsOf.set(uuid, (attemptsOf.get(uuid) ?? 0) + 1);
      const error = refuse(uuid);
      if (error === 'deleted') return 'deleted';
      if (error !== undefined) throw error;
      published.push(uuid);
      return 'published';
    },
  };
  for (let pass = 0; pass < count; pass++) await publishDueEvents({ state, sink, policy: { delaySeconds: 0 }, log: pino({ level: 'silent' }), now: Date.UTC(2025, 2, 10) });
  const deleted = ['e-a', 'e-b', 'e-c'].filter((uuid) => state.isDeleted('misp:x', uuid));
  state.close();
  return { published: published.sort(), attempts, attemptsOf, deleted };
}

describe('publishing due events', () => {
  it('an event deleted in MISP does not hold back the others, and is not tried again', async () => {
    const { published, attemptsOf, deleted } = await passes((uuid) => (uuid === 'e-a' ? 'deleted' : undefined), 3);
    assert.deepEqual(published, ['e-b', 'e-c']);
    assert.deepEqual(deleted, ['e-a'], 'the ledger remembers the deletion');
    assert.equal(attemptsOf.get('e-a'), 1);
  });

  it('an event MISP refuses to publish (another 4xx about it) does not hold back the others, and is tried again', async () => {
    const refused = new Tpot2MispError('T2M_MISP_HTTP', 'MISP refused POST /events/publish/e-a: HTTP 400 Bad request', { status: 400 });
    const { published, attemptsOf, deleted } = await passes((uuid) => (uuid === 'e-a' ? refused : undefined), 3);
    assert.deepEqual(published, ['e-b', 'e-c']);
    assert.deepEqual(deleted, []);
    assert.equal(attemptsOf.get('e-a'), 3);
  });

  it('MISP down or refusing every request (5xx, unreachable, a key without the right): the pass stops at the first failure', async () => {
    for (const error of [
      new Tpot2MispError('T2M_MISP_HTTP', 'MISP kept answering HTTP 503', { status: 503 }),
      new Tpot2MispError('T2M_MISP_UNREACHABLE', 'cannot reach MISP'),
      new Tpot2MispError('T2M_MISP_HTTP', 'MISP refused: HTTP 403 not allowed', { status: 403 }),
    ]) {
      const { published, attempts } = await passes(() => error, 2);
      assert.deepEqual(published, []);
      assert.equal(attempts, 2, `${error.message}: one attempt per pass`);
    }
  });
});
