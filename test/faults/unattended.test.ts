// Unattended runs must say when they fail, and keep going when waiting heals it. Periodic batch mode (BATCH_INTERVAL_HOURS): a run that fails because MISP is down must not end
// the process (under Docker's restart policy that is a restart loop re-reading the source); the next interval
// delivers the backlog. SIGTERM while waiting ends it at once, cleanly.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { eventUuid } from '../../src/misp/build.js';
import { Metrics } from '../../src/observability/metrics.js';
import { runBatch, runRepeatedly, type RunResult } from '../../src/run-once.js';
import { StateStore } from '../../src/state.js';
import { startMispEmulator, type MispEmulator } from '../emulators/misp-emulator.js';
import { PROJECT_ROOT, runCliAsync, startCli } from '../support/cli.js';
import { capturedLogger } from '../support/captured-log.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-periodic-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('periodic batch mode', () => {
  it('a run that fails (MISP down) is logged and the process waits for the next interval; SIGTERM then exits 0', async () => {
    const misp = await startMispEmulator();
    misp.outage(Date.now() + 3_600_000);
    try {
      const { child, done } = startCli(
        ['run', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'misp', '--state-db', join(work, 'state.db')],
        { MISP_URL: misp.url, MISP_KEY: misp.apiKey, MISP_RETRIES: '0', VALIDATION_REPORT_ENABLED: 'false', BATCH_INTERVAL_HOURS: '1', LOG_LEVEL: 'info' },
      );
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      const deadline = Date.now() + 120_000;
      while (!/the next run, in 1 h/.test(stdout + stderr) && child.exitCode === null && Date.now() < deadline) await sleep(100);
      assert.equal(child.exitCode, null, `the process ended after the failed run:\n${stderr}`);
      assert.match(stdout + stderr, /The run failed \(T2M_MISP_HTTP\)/);
      await sleep(300);
      assert.equal(child.exitCode, null, 'still waiting for the next interval');
      child.kill('SIGTERM');
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
    } finally {
      await misp.close();
    }
  });

  it('run --once in realtime mode (drain the outbox) exits non-zero when MISP refused the delivery; the messages stay', async () => {
    const db = join(work, 'outbox.db');
    const state = StateStore.open(db);
    const payload = readFileSync(new URL('../../../shared/fixtures/hpfeeds/cowrie.sessions.jsonl', import.meta.url), 'utf8').split('\n')[0]!;
    state.appendOutbox([{ receivedAt: Date.now(), channel: 'cowrie.sessions', publisher: 'sensor', payload: Buffer.from(payload) }]);
    state.close();
    const misp = await startMispEmulator();
    misp.outage(Date.now() + 3_600_000);
    try {
      const result = await runCliAsync(['run', '--once', '--mode', 'realtime', '--output', 'misp', '--state-db', db], {
        MISP_URL: misp.url, MISP_KEY: misp.apiKey, MISP_RETRIES: '0', VALIDATION_REPORT_ENABLED: 'false',
        HPFEEDS_HOST: '127.0.0.1', HPFEEDS_IDENT: 'tpot2misp', HPFEEDS_SECRET: 'secret', HPFEEDS_CHANNELS: 'cowrie.sessions',
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /error \[T2M_MISP_HTTP\]/);
      assert.match(result.stderr, /hint: /);
      const after = StateStore.open(db);
      assert.equal(after.outboxSize, 1);
      after.close();
    } finally {
      await misp.close();
    }
  });
});


/** Files mode into `misp`, from the bundled sample data, with its own state database; no report unless asked. */
function filesConfig(misp: MispEmulator, name: string, extra: Record<string, string> = {}): Config {
  return loadConfig({
    env: {
      COLLECTION_MODE: 'files', TPOT_DATA_DIR: join(PROJECT_ROOT, 'examples', 'tpot-data'), OUTPUT: 'misp', MISP_URL: misp.url, MISP_KEY: misp.apiKey,
      MISP_RETRIES: '0', STATE_DB: join(work, `${name}.db`), VALIDATION_REPORT_ENABLED: 'false', ...extra,
    },
    envFile: join(work, 'no.env'),
  }).config;
}

describe('periodic runs, in-process (the interval is injected: no test waits an hour)', () => {
  it('a failed run is logged with code and hint, /healthz turns degraded, the next interval delivers the backlog and health is ready again', async () => {
    const misp = await startMispEmulator();
    misp.outage(Date.now() + 3_600_000);
    try {
      const config = filesConfig(misp, 'periodic-inprocess');
      const { log, lines } = capturedLogger('info');
      const metrics = new Metrics();
      const stop = new AbortController();
      const results: RunResult[] = [];
      const waits: { ms: number; health: { ok: boolean; reason?: string } }[] = [];
      await runRepeatedly(config, log, {}, metrics, {
        intervalMs: 3_600_000,
        stop: stop.signal,
        onResult: (result) => results.push(result),
        wait: async (ms) => {
          waits.push({ ms, health: metrics.health });
          if (waits.length === 1) misp.outage(0); // MISP is back before the next run
          else stop.abort(); // SIGTERM while waiting after the second run
          return !stop.signal.aborted;
        },
      });
      assert.equal(results.length, 2);
      assert.ok(results[0]!.failed !== undefined, 'the first run failed');
      assert.match(String((results[0]!.failed.error as { code?: string }).code), /^T2M_MISP_/);
      assert.equal(results[1]!.failed, undefined);
      assert.ok(results[1]!.report.toJson().totals.events > 0, 'the second run delivered the backlog');
      assert.ok(misp.events().length > 0);
      const failure = lines.find((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('The run failed'));
      assert.ok(failure !== undefined, 'the failed run is logged');
      assert.match(String(failure['code']), /^T2M_MISP_/);
      assert.equal(typeof failure['hint'], 'string');
      assert.match(String(failure['msg']), /the next run, in 1 h/);
      assert.deepEqual(waits.map((w) => w.ms), [3_600_000, 3_600_000]);
      assert.equal(waits[0]!.health.ok, false);
      assert.match(String(waits[0]!.health.reason), /the last run failed: T2M_MISP_/);
      assert.deepEqual(waits[1]!.health, { ok: true });
    } finally {
      await misp.close();
    }
  });

  it('a damaged state database ends periodic mode at once (waiting does not heal it)', async () => {
    const misp = await startMispEmulator();
    try {
      const db = join(work, 'damaged.db');
      writeFileSync(db, 'this is not an SQLite database, and it is long enough to have a header page'.repeat(20));
      const config = filesConfig(misp, 'damaged');
      let waited = false;
      await assert.rejects(
        runRepeatedly(config, capturedLogger('info').log, {}, new Metrics(), { intervalMs: 3_600_000, stop: new AbortController().signal, wait: async () => (waited = true) }),
        (error: { code?: string }) => error.code === 'T2M_STATE_CORRUPT',
      );
      assert.equal(waited, false);
    } finally {
      await misp.close();
    }
  });

  it('an interval longer than a Node timer holds (24.8 days) still waits, and stop ends the wait at once', async () => {
    const misp = await startMispEmulator();
    try {
      const config = filesConfig(misp, 'long-interval');
      const stop = new AbortController();
      let runs = 0;
      const running = runRepeatedly(config, capturedLogger('info').log, {}, new Metrics(), { intervalMs: 30 * 24 * 3_600_000, stop: stop.signal, onResult: () => runs++ });
      const deadline = Date.now() + 60_000;
      while (runs === 0 && Date.now() < deadline) await sleep(20);
      await sleep(500);
      assert.equal(runs, 1, 'a 30-day interval must not start the next run at once');
      const stopped = Date.now();
      stop.abort();
      await running;
      assert.ok(Date.now() - stopped < 1_000, 'stop ends the wait promptly');
    } finally {
      await misp.close();
    }
  });
});

/** A Cowrie log with `ips` distinct attackers on one day: enough indicators for an intermediate commit. */
function writeCowrie(dataDir: string, ips: number): void {
  mkdirSync(join(dataDir, 'cowrie', 'log'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < ips; i++) {
    const ip = `2001:db8:${(i >> 8).toString(16)}::${(i & 0xff).toString(16)}`;
    const second = String(i % 60).padStart(2, '0');
    const minute = String(Math.floor(i / 60) % 60).padStart(2, '0');
    lines.push(JSON.stringify({ eventid: 'cowrie.session.connect', src_ip: ip, session: `s${i.toString(16).padStart(11, '0')}`, protocol: 'ssh', sensor: 'c0ffee42ab17', timestamp: `2025-03-15T10:${minute}:${second}.000000Z`, src_port: 40000, dst_ip: '172.18.0.4', dst_port: 22 }));
  }
  writeFileSync(join(dataDir, 'cowrie', 'log', 'cowrie.json'), `${lines.join('\n')}\n`);
}

describe('the validation report of a run that did not end normally', () => {
  it('a run that fails after an intermediate commit writes its report (not the stale one) and says FAILED; exit 1 with code', async () => {
    const misp = await startMispEmulator();
    const dir = join(work, 'failed-report');
    const dataDir = join(dir, 'data');
    writeCowrie(dataDir, 6_000);
    mkdirSync(join(dataDir, 'dionaea', 'log'), { recursive: true });
    writeFileSync(join(dataDir, 'dionaea', 'log', 'dionaea.json'), readFileSync(join(PROJECT_ROOT, 'examples', 'tpot-data', 'dionaea', 'log', 'dionaea.json')));
    const reportDir = join(dir, 'report');
    mkdirSync(reportDir, { recursive: true });
    writeFileSync(join(reportDir, 'report.json'), '{"stale": true}\n');
    try {
      const env = { MISP_URL: misp.url, MISP_KEY: misp.apiKey, MISP_RETRIES: '0', MAX_PENDING_INDICATORS: '1000', TPOT_HONEYPOTS: 'Cowrie,Dionaea', VALIDATION_REPORT_DIR: reportDir, VALIDATION_REPORT_FORMAT: 'json,txt' };
      // The 6,000 Cowrie attackers (six source batches of 1,000) are delivered and committed by intermediate flushes;
      // the last flush (Dionaea's event) fails.
      const namespace = filesConfig(misp, 'namespace').uuidNamespace;
      const dionaea = eventUuid(namespace, 'Dionaea', '2025-03-14');
      misp.injectFaults({ count: 1_000, status: 503, pathPrefix: `/attributes/add/${dionaea}` });
      const result = await runCliAsync(['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'misp', '--state-db', join(dir, 'state.db')], env);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /error \[T2M_MISP_HTTP\]/);
      assert.match(result.stdout, /FAILED \(T2M_MISP_HTTP\)/);
      assert.match(result.stdout, /report: .*report\.json, .*report\.txt/);
      const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { stale?: boolean; buckets: { honeypot: string; eventUuid?: string }[] };
      assert.equal(report.stale, undefined, 'the previous report was left in place');
      const delivered = report.buckets.filter((b) => b.eventUuid !== undefined).map((b) => b.honeypot);
      assert.deepEqual(delivered, ['Cowrie'], 'the work committed before the failure is in the report');
      assert.equal((report as unknown as { totals: { records: number } }).totals.records, 6_000);
      assert.ok(existsSync(join(reportDir, 'report.txt')));
    } finally {
      await misp.close();
    }
  });

  it('a report that cannot be written (VALIDATION_REPORT_DIR under a regular file) is a warning naming the setting; the data went through: exit 0', async () => {
    const misp = await startMispEmulator();
    const dir = join(work, 'unwritable-report');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a-file'), 'not a directory\n');
    try {
      const result = await runCliAsync(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'misp', '--state-db', join(dir, 'state.db')], {
        MISP_URL: misp.url, MISP_KEY: misp.apiKey, VALIDATION_REPORT_DIR: join(dir, 'a-file', 'reports'),
      });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /VALIDATION_REPORT_DIR/);
      assert.match(result.stderr, /ENOTDIR/);
      assert.match(result.stdout, /report: not written/);
      assert.ok(misp.events().length > 0, 'the data was delivered');
    } finally {
      await misp.close();
    }
  });

  it('the summary names the report files actually written (VALIDATION_REPORT_FORMAT=html: report.html only) and hides a password in MISP_URL', async () => {
    const misp = await startMispEmulator();
    const dir = join(work, 'html-only');
    try {
      const url = new URL(misp.url);
      url.username = 'analyst';
      url.password = 'hunter2-secret';
      const result = await runCliAsync(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'misp', '--state-db', join(dir, 'state.db')], {
        MISP_URL: url.href, MISP_KEY: misp.apiKey, VALIDATION_REPORT_DIR: join(dir, 'report'), VALIDATION_REPORT_FORMAT: 'html',
      });
      assert.equal(result.status, 0, result.stderr);
      const line = result.stdout.split('\n').find((l) => l.trimStart().startsWith('report:'));
      assert.ok(line !== undefined && /report\.html$/.test(line) && !/report\.(txt|json)/.test(line), String(line));
      assert.ok(!result.stdout.includes('hunter2-secret'), result.stdout);
    } finally {
      await misp.close();
    }
  });

  it('a run stopped by a signal says in its result and log that it covers only part of the data', async () => {
    const misp = await startMispEmulator();
    try {
      const config = filesConfig(misp, 'stopped');
      const { log, lines } = capturedLogger('info');
      const stop = new AbortController();
      stop.abort(); // SIGTERM before the first batch: that batch is still delivered, then reading stops
      const result = await runBatch(config, log, {}, new Metrics(), { stop: stop.signal });
      assert.equal(result.failed, undefined);
      assert.equal(result.stopped, true);
      assert.ok(lines.some((l) => /covers only part of the new data/.test(String(l['msg']))), JSON.stringify(lines));
    } finally {
      await misp.close();
    }
  });

  it('CLI: SIGTERM during a long run exits 0 and the summary says STOPPED (only part of the data)', async () => {
    const misp = await startMispEmulator();
    const dir = join(work, 'sigterm');
    const dataDir = join(dir, 'data');
    writeCowrie(dataDir, 60_000);
    try {
      const { child, done } = startCli(['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'misp', '--state-db', join(dir, 'state.db')], {
        MISP_URL: misp.url, MISP_KEY: misp.apiKey, MAX_PENDING_INDICATORS: '1000', VALIDATION_REPORT_ENABLED: 'false', LOG_LEVEL: 'info', TPOT_HONEYPOTS: 'Cowrie',
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const deadline = Date.now() + 120_000;
      while (!/Delivered changes to the sink/.test(stderr) && child.exitCode === null && Date.now() < deadline) await sleep(20);
      child.kill('SIGTERM');
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /STOPPED by a signal/);
      assert.match(result.stderr, /covers only part of the new data/);
      const records = Number(/(\d+) records read/.exec(result.stdout)?.[1]);
      assert.ok(records > 0 && records < 60_000, result.stdout);
    } finally {
      await misp.close();
    }
  });
});
