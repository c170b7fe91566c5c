import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createServer } from 'node:net';
import { Tpot2MispError } from '../../src/errors.js';
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

describe('the /metrics and /healthz endpoint', () => {
  it('listens on loopback by default, and on the address it is given', async () => {
    const server = await new Metrics().serve(0);
    try {
      assert.equal(server.host, '127.0.0.1');
      const answer = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      assert.equal(answer.status, 200);
    } finally {
      await server.close();
    }
  });

  it('a port in use or an address not of this host is a settings error naming PROMETHEUS_HOST/PROMETHEUS_PORT and the address', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      await assert.rejects(new Metrics().serve(port, '127.0.0.1'), (error: unknown) => {
        assert.ok(error instanceof Tpot2MispError);
        assert.equal(error.code, 'T2M_CONFIG_INVALID');
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port} \\(PROMETHEUS_HOST=127\\.0\\.0\\.1, PROMETHEUS_PORT=${port}\\): port ${port} is in use.*\\(EADDRINUSE\\)`));
        assert.match(error.hint ?? '', /PROMETHEUS_PORT/);
        return true;
      });
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
    // 192.0.2.1 (TEST-NET-1, documentation only) is no address of this host.
    await assert.rejects(new Metrics().serve(9431, '192.0.2.1'), (error: unknown) => {
      assert.ok(error instanceof Tpot2MispError);
      assert.match(error.message, /192\.0\.2\.1:9431 \(PROMETHEUS_HOST=192\.0\.2\.1, PROMETHEUS_PORT=9431\): 192\.0\.2\.1 is not an address of this host \(EADDRNOTAVAIL\)/);
      assert.match(error.hint ?? '', /PROMETHEUS_HOST/);
      return true;
    });
  });
});
