import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Metrics } from '../../src/observability/metrics.js';

describe('metrics catalogue', () => {
  it('docs/metrics.md lists exactly the metrics the registry holds (besides the process defaults)', async () => {
    const documented = [...readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8').matchAll(/^\| `(tpot2misp_[a-z_]+)`/gm)].map((m) => m[1]!);
    const metrics = new Metrics();
    metrics.hpfeedsConnectionStatus.set(1);
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).filter((name) => !name.startsWith('tpot2misp_process_'));
    assert.deepEqual([...documented].sort(), [...registered].sort());
  });

  it('keeps the five names users of the original tool already chart', async () => {
    const metrics = new Metrics();
    metrics.hpfeedsConnectionStatus.set(0);
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    for (const name of ['tpot2misp_events_processed_total', 'tpot2misp_indicators_enriched_total', 'tpot2misp_enrichment_cache_hits_total', 'tpot2misp_indicator_processing_duration_seconds', 'tpot2misp_hpfeeds_connection_status']) {
      assert.ok(names.includes(name), name);
    }
  });

  it('exports the HPFEEDS connection gauge only once realtime mode uses it (no permanent "disconnected" in batch and files)', async () => {
    const metrics = new Metrics();
    assert.doesNotMatch(await metrics.registry.metrics(), /hpfeeds_connection_status/);
    metrics.hpfeedsConnectionStatus.set(1);
    metrics.hpfeedsConnectionStatus.set(0);
    assert.match(await metrics.registry.metrics(), /^tpot2misp_hpfeeds_connection_status 0$/m);
  });
});
