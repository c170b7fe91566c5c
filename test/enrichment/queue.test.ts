import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateStore, type EnrichmentNotes } from '../../src/state.js';

const DAY = 86_400_000;

/** Queue rows and targets as a flush's commit writes them. */
function enqueue(state: StateStore, notes: EnrichmentNotes): void {
  state.commit('misp:test', [], undefined, notes.now, notes);
}

function target(value: string, day: string) {
  return { kind: 'ip', value, honeypot: 'Cowrie', day, indicator: JSON.stringify({ kind: 'attribute', type: 'ip-src', category: 'Network activity', value, toIds: true }) };
}

describe('the enrichment queue in the state database', () => {
  it('orders by activity (adding up over runs), then age, then value', () => {
    const state = StateStore.open(':memory:');
    try {
      enqueue(state, { queue: [{ provider: 'virustotal', kind: 'ip', value: '192.0.2.1', activity: 3 }, { provider: 'virustotal', kind: 'ip', value: '192.0.2.2', activity: 5 }], targets: [], now: 1000 });
      enqueue(state, { queue: [{ provider: 'virustotal', kind: 'ip', value: '192.0.2.1', activity: 4 }, { provider: 'virustotal', kind: 'ip', value: '192.0.2.3', activity: 5 }], targets: [], now: 2000 });
      assert.deepEqual(state.nextEnrichment('virustotal', 10).map((r) => [r.value, r.activity]), [['192.0.2.1', 7], ['192.0.2.2', 5], ['192.0.2.3', 5]]);
      assert.equal(state.enrichmentQueueSize('abuseipdb'), 0, 'queues are per provider');
    } finally {
      state.close();
    }
  });

  it('marks targets answered with the dequeue (a crash cannot lose the re-delivery), and keeps them until no provider waits', () => {
    const state = StateStore.open(':memory:');
    try {
      enqueue(state, {
        queue: [{ provider: 'virustotal', kind: 'ip', value: '192.0.2.1', activity: 1 }, { provider: 'abuseipdb', kind: 'ip', value: '192.0.2.1', activity: 1 }],
        targets: [target('192.0.2.1', '2026-11-01'), target('192.0.2.1', '2026-11-02')],
        now: 0,
      });
      assert.deepEqual(state.answeredEnrichmentSubjects(10), []);
      // VirusTotal answers; the process could die here: the mark is in the database.
      state.answerEnrichment('virustotal', 'ip', '192.0.2.1');
      assert.deepEqual(state.answeredEnrichmentSubjects(10), [{ kind: 'ip', value: '192.0.2.1' }]);
      state.releaseEnrichmentTargets([{ kind: 'ip', value: '192.0.2.1' }]);
      assert.equal(state.enrichmentTargets('ip', '192.0.2.1').length, 2, 'AbuseIPDB still waits: the targets stay');
      assert.deepEqual(state.answeredEnrichmentSubjects(10), [], 'but are no longer due');
      state.answerEnrichment('abuseipdb', 'ip', '192.0.2.1');
      assert.deepEqual(state.answeredEnrichmentSubjects(10), [{ kind: 'ip', value: '192.0.2.1' }]);
      state.releaseEnrichmentTargets([{ kind: 'ip', value: '192.0.2.1' }]);
      assert.equal(state.enrichmentTargets('ip', '192.0.2.1').length, 0, 'nobody waits: forgotten');
    } finally {
      state.close();
    }
  });

  it('queues what a flush noted in the same transaction as its ledger rows and checkpoint', () => {
    const state = StateStore.open(':memory:');
    try {
      const notes = { queue: [{ provider: 'greynoise', kind: 'ip', value: '192.0.2.9', activity: 2 }], targets: [target('192.0.2.9', '2026-11-01')], now: 5 };
      state.commit('misp:x', [], { source: 'files:/data', cursor: { at: 1 } }, 5, notes);
      assert.equal(state.enrichmentQueueSize('greynoise'), 1);
      assert.deepEqual(state.checkpoint('files:/data'), { at: 1 });
    } finally {
      state.close();
    }
  });

  it('forgets indicators not seen for a while, with their targets, so the queue cannot grow for ever', () => {
    const state = StateStore.open(':memory:');
    try {
      enqueue(state, { queue: [{ provider: 'virustotal', kind: 'ip', value: '192.0.2.1', activity: 9 }], targets: [target('192.0.2.1', '2026-11-01')], now: 0 });
      enqueue(state, { queue: [{ provider: 'virustotal', kind: 'ip', value: '192.0.2.2', activity: 1 }], targets: [target('192.0.2.2', '2026-11-01')], now: 0 });
      enqueue(state, { queue: [{ provider: 'virustotal', kind: 'ip', value: '192.0.2.2', activity: 1 }], targets: [], now: 20 * DAY });
      assert.equal(state.pruneEnrichmentQueue(14 * DAY), 1);
      assert.deepEqual(state.nextEnrichment('virustotal', 10).map((r) => r.value), ['192.0.2.2'], 'seen again recently: kept');
      assert.equal(state.enrichmentTargets('ip', '192.0.2.1').length, 0);
      assert.equal(state.enrichmentTargets('ip', '192.0.2.2').length, 1);
    } finally {
      state.close();
    }
  });
});
