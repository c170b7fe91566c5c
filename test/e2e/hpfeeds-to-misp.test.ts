import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { attackerIp } from '../../src/simulate/synthetic-tpot.js';
import { HpfeedsClient } from '../../src/sources/hpfeeds/client.js';
import { startMispEmulator, type MispEmulator } from '../emulators/misp-emulator.js';
import { startCli } from '../support/cli.js';
import { freePort, startBroker, type Broker, type BrokerUser } from '../support/hpfeeds-broker.js';
import { until } from '../support/until.js';

const CHANNELS = ['cowrie.sessions', 'dionaea.connections', 't-pot.events'];
const SUBSCRIBER: BrokerUser = { ident: 'tpot2misp', secret: 'example-secret', subchans: CHANNELS };
const SENSOR: BrokerUser = { ident: 'sensor01', secret: 'sensor-secret', pubchans: CHANNELS };
const work = mkdtempSync(join(tmpdir(), 'tpot2misp-e2e-hpfeeds-'));


const fixture = (file: string) => readFileSync(new URL(`../../../shared/fixtures/hpfeeds/${file}`, import.meta.url), 'utf8').split('\n').filter((l) => l.trim() !== '');

describe('realtime: HPFEEDS (real broker) → outbox → MISP (emulated)', () => {
  let broker: Broker;
  let misp: MispEmulator;
  before(async () => {
    broker = await startBroker([SUBSCRIBER, SENSOR]);
    misp = await startMispEmulator();
  });
  after(async () => {
    await broker.stop();
    await misp.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** tpot2misp in realtime mode, subscribed to the test broker, delivering into `target`; its stderr is collected. */
  function startRealtime(db: string, target: MispEmulator, extra: Record<string, string> = {}) {
    const started = startCli(['run', '--mode', 'realtime', '--output', 'misp', '--state-db', join(work, db)], {
      HPFEEDS_HOST: '127.0.0.1',
      HPFEEDS_PORT: String(broker.port),
      HPFEEDS_IDENT: SUBSCRIBER.ident,
      HPFEEDS_SECRET: SUBSCRIBER.secret,
      HPFEEDS_CHANNELS: CHANNELS.join(','),
      REALTIME_FLUSH_SECONDS: '1',
      MISP_URL: target.url,
      MISP_KEY: target.apiKey,
      LOG_LEVEL: 'info',
      ...extra,
    });
    let stderr = '';
    started.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return { ...started, stderr: () => stderr };
  }

  it('delivers every message exactly once, also through a MISP outage, and stops cleanly on SIGTERM', async () => {
    const { child, done, stderr } = startRealtime('state.db', misp);
    const publisher = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: SENSOR.ident, secret: SENSOR.secret, channels: [], log: pino({ level: 'silent' }) });
    try {
      await until(() => /HPFEEDS: connected/.test(stderr()), 20_000, 'the subscriber to connect');
      await new Promise((r) => setTimeout(r, 300));

      // The reference Python client publishes real payloads; ewsposter's go to an operator-chosen channel.
      for (const payload of fixture('cowrie.sessions.jsonl')) broker.publishWithPython(SENSOR, 'cowrie.sessions', payload);
      for (const payload of fixture('ewsposter.json.jsonl')) broker.publishWithPython(SENSOR, 't-pot.events', payload);
      for (const payload of fixture('dionaea.connections.jsonl')) broker.publishWithPython(SENSOR, 'dionaea.connections', payload);
      // An event is visible in MISP before its objects arrive (they follow in later requests): wait for both.
      const cowrie = () => misp.events().find((e) => e.info === 'T-Pot Cowrie attacks 2024-05-01');
      const hasLogin = () => cowrie()?.Object.some((o) => o.name === 'cowrie' && o.Attribute.some((a) => a.object_relation === 'password' && a.value === 'admin123')) ?? false;
      await until(hasLogin, 20_000, 'the Cowrie event with its login');
      assert.ok(cowrie()!.Attribute.some((a) => a.type === 'ip-src' && a.value === '198.51.100.23'));

      // 10,000 sessions at full speed while MISP answers 503 for a while: the outbox holds them.
      publisher.start();
      await publisher.waitConnected();
      misp.injectFaults({ count: 12, status: 503 });
      for (let i = 0; i < 10_000; i++) {
        publisher.publish('cowrie.sessions', JSON.stringify({ session: `s${i}`, startTime: '2025-03-20T08:00:00.000000Z', endTime: '2025-03-20T08:00:01.000000Z', peerIP: attackerIp(i), peerPort: 40000, hostIP: '172.18.0.2', hostPort: 22, protocol: 'ssh', loggedin: null, credentials: [], commands: [], unknownCommands: [], urls: [], hashes: [], version: null, ttylog: null }));
      }
      const ipsIn = () => misp.events().find((e) => e.info === 'T-Pot Cowrie attacks 2025-03-20')?.Attribute.filter((a) => a.type === 'ip-src') ?? [];
      await until(() => ipsIn().length >= 10_000, 120_000, '10,000 attackers in MISP');
      await new Promise((r) => setTimeout(r, 2_500));
      const ips = ipsIn();
      assert.equal(ips.length, 10_000);
      assert.equal(new Set(ips.map((a) => a.value)).size, 10_000);
      assert.ok(ips.every((a) => a.comment.startsWith('1 hit;')), 'no message counted twice');
      assert.match(stderr(), /Realtime flush failed; the messages stay in the outbox/, 'the outage was noticed');
    } finally {
      await publisher.stop();
      child.kill('SIGTERM');
    }
    const result = await done;
    assert.equal(result.status, 0, result.stderr.slice(-2000));
  });

  it('the broker restarts midway: resubscribed within seconds, every delivered message in MISP once', async () => {
    const fresh = await startMispEmulator();
    const { child, done, stderr } = startRealtime('restart.db', fresh);
    const publisher = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: SENSOR.ident, secret: SENSOR.secret, channels: [], log: pino({ level: 'silent' }), backoff: { minMs: 100, maxMs: 500 } });
    const session = (i: number) => JSON.stringify({ session: `r${i}`, startTime: '2025-03-21T08:00:00.000000Z', peerIP: attackerIp(i), peerPort: 40000, hostIP: '172.18.0.2', hostPort: 22, protocol: 'ssh', credentials: [], commands: [] });
    const ipsIn = () => fresh.events().find((e) => e.info === 'T-Pot Cowrie attacks 2025-03-21')?.Attribute.filter((a) => a.type === 'ip-src') ?? [];
    try {
      await until(() => /HPFEEDS: connected/.test(stderr()), 20_000, 'the subscriber to connect');
      publisher.start();
      await publisher.waitConnected();
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 3_000; i++) publisher.publish('cowrie.sessions', session(i));
      await until(() => ipsIn().length === 3_000, 60_000, 'the first 3,000');

      await broker.stop();
      await new Promise((r) => setTimeout(r, 500));
      await broker.start();
      const back = Date.now();
      await until(() => (stderr().match(/HPFEEDS: connected/g) ?? []).length >= 2, 15_000, 'the subscriber to come back');
      assert.ok(Date.now() - back < 10_000, 'subscribed again within seconds');
      await publisher.waitConnected(15_000);
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 3_000; i < 6_000; i++) publisher.publish('cowrie.sessions', session(i));
      await until(() => ipsIn().length === 6_000, 60_000, 'the next 3,000');
      await new Promise((r) => setTimeout(r, 2_000));
      const ips = ipsIn();
      assert.equal(ips.length, 6_000);
      assert.ok(ips.every((a) => a.comment.startsWith('1 hit;')), 'each message once');
    } finally {
      await publisher.stop();
      child.kill('SIGTERM');
      await done;
      await fresh.close();
    }
  });

  it('serves /metrics and /healthz during the run; health turns degraded when MISP is unreachable', async () => {
    const fresh = await startMispEmulator();
    const port = await freePort();
    const reportDir = join(work, 'metrics-report');
    const outcome = () => {
      try {
        return (JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { outcome: string; failure?: { code: string } });
      } catch {
        return undefined;
      }
    };
    const { child, done, stderr } = startRealtime('metrics.db', fresh, { PROMETHEUS_ENABLED: 'true', PROMETHEUS_PORT: String(port), MISP_RETRIES: '0', VALIDATION_REPORT_DIR: reportDir, VALIDATION_REPORT_FORMAT: 'json' });
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, text: await response.text() };
    };
    try {
      await until(() => /HPFEEDS: connected/.test(stderr()), 20_000, 'the subscriber');
      await new Promise((r) => setTimeout(r, 300));
      for (const payload of fixture('cowrie.sessions.jsonl')) broker.publishWithPython(SENSOR, 'cowrie.sessions', payload);
      await until(() => fresh.events().length > 0, 20_000, 'an event in MISP');
      await new Promise((r) => setTimeout(r, 1_500));
      const metrics = (await get('/metrics')).text;
      assert.match(metrics, /^tpot2misp_hpfeeds_connection_status 1$/m);
      assert.match(metrics, /^tpot2misp_events_processed_total\{mode="realtime",honeypot="cowrie"\} 3$/m);
      assert.match(metrics, /^tpot2misp_source_documents_received_total\{source="hpfeeds"\} 3$/m);
      assert.match(metrics, /^tpot2misp_misp_requests_total\{endpoint="POST \/events\/add",status="200"\} 1$/m);
      assert.match(metrics, /^tpot2misp_outbox_items 0$/m);
      assert.match(metrics, /^tpot2misp_indicator_processing_duration_seconds_count\{mode="realtime"\} [1-9]/m);
      assert.ok(!metrics.includes(fresh.apiKey) && !metrics.includes(SUBSCRIBER.secret));
      assert.deepEqual(await get('/healthz'), { status: 200, text: '{"status":"ready"}' });

      fresh.outage(Date.now() + 60_000);
      broker.publishWithPython(SENSOR, 'cowrie.sessions', fixture('cowrie.sessions.jsonl')[0]!.replace('a1b2c3d4e5f6', 'ffffffffffff').replace('198.51.100.23', '198.51.100.99'));
      await until(() => /Realtime flush failed/.test(stderr()), 60_000, 'the failed flush');
      const health = await get('/healthz');
      assert.equal(health.status, 503);
      assert.match(health.text, /"status":"degraded","reason":"the sink \(misp\) failed: T2M_MISP_/);
      assert.match((await get('/metrics')).text, /^tpot2misp_outbox_items 1$/m);
      // The rolling report says so too (analysts look there, not at /healthz).
      await until(() => outcome()?.outcome === 'failed', 20_000, 'the report of the failed flush');
      assert.match(outcome()!.failure!.code, /^T2M_MISP_/);

      // Every REALTIME_FLUSH_SECONDS the outbox is read again and fails again: the message counts as received once,
      // and its attack only once a flush commits it.
      await until(() => (stderr().match(/Realtime flush failed/g) ?? []).length >= 4, 60_000, 'four failed flushes');
      const during = (await get('/metrics')).text;
      assert.match(during, /^tpot2misp_source_documents_received_total\{source="hpfeeds"\} 4$/m);
      assert.match(during, /^tpot2misp_events_processed_total\{mode="realtime",honeypot="cowrie"\} 3$/m);
      fresh.outage(0);
      let afterwards = '';
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && !/^tpot2misp_outbox_items 0$/m.test(afterwards); ) {
        await new Promise((r) => setTimeout(r, 200));
        afterwards = (await get('/metrics')).text;
      }
      assert.match(afterwards, /^tpot2misp_outbox_items 0$/m);
      assert.match(afterwards, /^tpot2misp_source_documents_received_total\{source="hpfeeds"\} 4$/m);
      assert.match(afterwards, /^tpot2misp_events_processed_total\{mode="realtime",honeypot="cowrie"\} 4$/m);
      assert.deepEqual(await get('/healthz'), { status: 200, text: '{"status":"ready"}' });
      assert.equal(outcome()?.outcome, 'completed', 'the next flush that delivers clears it');
    } finally {
      child.kill('SIGTERM');
      await done;
      await fresh.close();
    }
  });
});
