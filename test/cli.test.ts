// The command line as a user meets it: `demo` on the bundled sample whatever the shell holds, and start-up
// problems with the metrics endpoint told as one line naming the setting, never a stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunReportJson } from '../src/report.js';
import { PROJECT_ROOT, runCliAsync } from './support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A stack trace line, which an operator should not get for a known start-up problem. */
const STACK = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

/** Every file under `dir`, relative, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

describe('tpot2misp demo', () => {
  it('gives the same feed and report whatever settings the shell holds', async () => {
    const clean = join(work, 'demo-clean');
    const polluted = join(work, 'demo-polluted');
    const expected = await runCliAsync(['demo', '--out', clean], { LOG_LEVEL: 'warn' });
    assert.equal(expected.status, 0, expected.stderr);
    const notADir = join(work, 'a-file');
    writeFileSync(notADir, '');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = String((busy.address() as { port: number }).port);
    try {
      const result = await runCliAsync(['demo', '--out', polluted], {
        LOG_LEVEL: 'warn',
        // Settings that would change the demo's output, send it elsewhere, or stop it, if it read them.
        OUTPUT: 'misp', MISP_URL: 'http://127.0.0.1:9/', MISP_KEY: 'A'.repeat(40), COLLECTION_MODE: 'batch', ELASTICSEARCH_URL: 'http://127.0.0.1:9',
        SOURCE: 'elasticsearch', TPOT_HONEYPOTS: 'Dionaea', MISP_ORG_NAME: 'Someone else', MISP_TAGS: 'tlp:red', VALIDATION_REPORT_FORMAT: 'txt',
        MISP_DISTRIBUTION: '9', ENRICHMENT_ENABLED: 'true', GREYNOISE_ENABLED: 'true', GREYNOISE_URL: 'http://127.0.0.1:9',
        PROMETHEUS_ENABLED: 'true', PROMETHEUS_PORT: port, LOG_FILE_ENABLED: 'true', LOG_FILE_PATH: join(notADir, 'demo.log'),
      });
      assert.equal(result.status, 0, result.stderr);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
    assert.deepEqual(files(polluted), files(clean));
    assert.ok(files(clean).includes('report.html') && files(clean).some((f) => f.startsWith('misp-feed/')));
    const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReportJson;
    const [a, b] = [report(clean), report(polluted)];
    assert.equal(b.output, 'feed');
    assert.equal(b.source, a.source);
    assert.deepEqual(b.totals, a.totals);
    assert.deepEqual(b.buckets.map((x) => [x.honeypot, x.day, x.documents, x.indicators]), a.buckets.map((x) => [x.honeypot, x.day, x.documents, x.indicators]));
    for (const name of files(clean).filter((f) => f.startsWith('misp-feed/'))) {
      assert.equal(readFileSync(join(polluted, name), 'utf8'), readFileSync(join(clean, name), 'utf8'), name);
    }
  });
});

describe('the metrics endpoint at start-up', () => {
  const run = (env: Record<string, string>, name: string) =>
    runCliAsync(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'feed', '--feed-dir', join(work, name, 'feed'), '--state-db', join(work, name, 'state.db')], {
      VALIDATION_REPORT_ENABLED: 'false', PROMETHEUS_ENABLED: 'true', ...env,
    });

  it('a port in use: one line naming PROMETHEUS_HOST, PROMETHEUS_PORT and the address, no stack trace', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const result = await run({ PROMETHEUS_PORT: String(port) }, 'busy');
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`error \\[T2M_CONFIG_INVALID\\]: cannot serve /metrics and /healthz on 127\\.0\\.0\\.1:${port} \\(PROMETHEUS_HOST=127\\.0\\.0\\.1, PROMETHEUS_PORT=${port}\\): port ${port} is in use`));
      assert.match(result.stderr, /hint: set PROMETHEUS_PORT to a free port/);
      assert.doesNotMatch(result.stderr, STACK);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('an address that is not this host\'s (EADDRNOTAVAIL): names PROMETHEUS_HOST and the address', async () => {
    // 192.0.2.1 is TEST-NET-1 (documentation only): no host has it.
    const result = await run({ PROMETHEUS_HOST: '192.0.2.1', PROMETHEUS_PORT: '9431' }, 'elsewhere');
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /cannot serve \/metrics and \/healthz on 192\.0\.2\.1:9431 \(PROMETHEUS_HOST=192\.0\.2\.1, PROMETHEUS_PORT=9431\): 192\.0\.2\.1 is not an address of this host \(EADDRNOTAVAIL\)/);
    assert.match(result.stderr, /hint: set PROMETHEUS_HOST/);
    assert.doesNotMatch(result.stderr, STACK);
  });
});
