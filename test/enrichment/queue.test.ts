import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateStore } from '../../src/state.js';

const DAY = 86_400_000;

function target(value: string, day: string) {
  return { kind: 'ip', value, honeypot: 'Cowrie', day, indicator: JSON.stringify({ kind: 'attribute', type: 'ip-src', category: 'Network activity', value, toIds: true }) };
}

describe('the enrichment queue in the state database', () => {
  it('orders by activity (adding up over runs), then age, then value', () => {
    const state = StateStore.open(':memory:');
    try {
      state.enqueueEnrichment([{ provider: 'virustotal', kind: 'ip', value: '192.0.2.1', activity: 3 }, { provider: 'virustotal', kind: 'ip', value: '192.0.2.2', activity: 5 }], [], 1000);
      state.enqueueEnrichment([{ provider: 'virustotal', kind: 'ip', value: '192.0.2.1', activity: 4 }, { provider: 'virustotal', kind: 'ip', value: '192.0.2.3', activity: 5 }], [], 2000);
      assert.deepEqual(state.nextEnrichment('virustotal', 10).map((r) => [r.value, r.activity]), [['192.0.2.1', 7], ['192.0.2.2', 5], ['192.0.2.3', 5]]);
      assert.equal(state.enrichmentQueueSize('abuseipdb'), 0, 'queues are per provider');
    } finally {
      state.close();
    }
  });

  it('keeps targets until no provider waits, and hands back answered ones after a crash', () => {
    const state = StateStore.open(':memory:');
    try {
      state.enqueueEnrichment(
        [{ provider: 'virustotal', kind: 'ip', value: '192.0.2.1', activity: 1 }, { provider: 'abuseipdb', kind: 'ip', value: '192.0.2.1', activity: 1 }],
        [target('192.0.2.1', '2026-11-01'), target('192.0.2.1', '2026-11-02')],
        0,
      );
      state.dequeueEnrichment('virustotal', 'ip', '192.0.2.1');
      state.releaseEnrichmentTargets([{ kind: 'ip', value: '192.0.2.1' }]);
      assert.equal(state.enrichmentTargets('ip', '192.0.2.1').length, 2, 'AbuseIPDB still waits: the targets stay');
      assert.equal(state.settledEnrichmentTargets(10).length, 0);
      // AbuseIPDB answers, then the process dies before re-delivery: the targets are "settled" for the next run.
      state.dequeueEnrichment('abuseipdb', 'ip', '192.0.2.1');
      assert.deepEqual(state.settledEnrichmentTargets(10).map((t) => t.day), ['2026-11-01', '2026-11-02']);
      state.releaseEnrichmentTargets([{ kind: 'ip', value: '192.0.2.1' }]);
      assert.equal(state.enrichmentTargets('ip', '192.0.2.1').length, 0);
    } finally {
      state.close();
    }
  });

  it('forgets indicators not seen for a while, with their targets, so the queue cannot grow for ever', () => {
    const state = StateStore.open(':memory:');
    try {
      state.enqueueEnrichment([{ provider: 'virustotal', kind: 'ip', value: '192.0.2.1', activity: 9 }], [target('192.0.2.1', '2026-11-01')], 0);
      state.enqueueEnrichment([{ provider: 'virustotal', kind: 'ip', value: '192.0.2.2', activity: 1 }], [target('192.0.2.2', '2026-11-01')], 0);
      state.enqueueEnrichment([{ provider: 'virustotal', kind: 'ip', value: '192.0.2.2', activity: 1 }], [], 20 * DAY);
      assert.equal(state.pruneEnrichmentQueue(14 * DAY), 1);
      assert.deepEqual(state.nextEnrichment('virustotal', 10).map((r) => r.value), ['192.0.2.2'], 'seen again recently: kept');
      assert.equal(state.enrichmentTargets('ip', '192.0.2.1').length, 0);
      assert.equal(state.enrichmentTargets('ip', '192.0.2.2').length, 1);
    } finally {
      state.close();
    }
  });
});
