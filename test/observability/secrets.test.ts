import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startEsEmulator } from '../emulators/es-emulator.js';
import { startMispEmulator } from '../emulators/misp-emulator.js';
import { PROJECT_ROOT, runCliAsync as runCli, type CliResult } from '../support/cli.js';
import { freePort } from '../support/hpfeeds-broker.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-secrets-'));
after(() => rmSync(work, { recursive: true, force: true }));

const SECRETS = {
  MISP_KEY: 'S3cretMispKey0123456789abcdefghijklmnopq',
  ELASTICSEARCH_PASSWORD: 'es-Pa55word-secret',
  HPFEEDS_SECRET: 'hpfeeds-secret-value',
  VIRUSTOTAL_API_KEY: 'vt-api-key-secret-0123456789',
  ABUSEIPDB_API_KEY: 'abuseipdb-secret-key-0123',
  GREYNOISE_API_KEY: 'greynoise-secret-key-0123',
};
const URL_PASSWORD = 'url-embedded-pw-secret';

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

describe('secrets never leak', () => {
  it('into any log line, report, error message or stack trace, even at LOG_LEVEL=debug', async () => {
    const es = await startEsEmulator({ nginx: { user: 'webuser', password: 'the-right-one' } });
    const misp = await startMispEmulator();
    const deadPort = await freePort();
    const outputs: CliResult[] = [];
    const reportDir = join(work, 'report');
    const logDir = join(work, 'logs');
    const common = { ...SECRETS, LOG_LEVEL: 'debug', LOG_FORMAT: 'json', VALIDATION_REPORT_DIR: reportDir, ELASTICSEARCH_USER: 'webuser', LOG_FILE_ENABLED: 'true', LOG_FILE_PATH: join(logDir, 'tpot2misp.log') };
    try {
      // A successful files run into MISP, writing a report.
      outputs.push(await runCli(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'misp', '--state-db', join(work, 'a.db')], { ...common, MISP_URL: misp.url, MISP_KEY: misp.apiKey, VALIDATION_REPORT_ENABLED: 'true' }));
      // MISP refusing the key, and MISP unreachable.
      outputs.push(await runCli(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'misp', '--state-db', join(work, 'b.db')], { ...common, MISP_URL: misp.url }));
      outputs.push(await runCli(['run', '--once', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'misp', '--state-db', join(work, 'c.db')], { ...common, MISP_URL: `http://127.0.0.1:${deadPort}` }));
      // Elasticsearch refusing the password, given as a setting and inside the URL.
      outputs.push(await runCli(['run', '--once', '--mode', 'batch', '--output', 'feed', '--feed-dir', join(work, 'feed'), '--state-db', join(work, 'd.db')], { ...common, ELASTICSEARCH_URL: es.url }));
      outputs.push(await runCli(['run', '--once', '--mode', 'batch', '--output', 'feed', '--feed-dir', join(work, 'feed'), '--state-db', join(work, 'e.db')], { ...common, ELASTICSEARCH_URL: es.url.replace('http://', `http://webuser:${URL_PASSWORD}@`), ELASTICSEARCH_PASSWORD: '' }));
      // Diagnostics with nothing reachable, and an invalid configuration.
      outputs.push(await runCli(['check', '--mode', 'realtime', '--output', 'misp'], { ...common, MISP_URL: `http://127.0.0.1:${deadPort}`, HPFEEDS_HOST: '127.0.0.1', HPFEEDS_PORT: String(deadPort), HPFEEDS_IDENT: 'x', HPFEEDS_CHANNELS: 'c' }));
      outputs.push(await runCli(['run', '--once'], { ...common, MISP_KEY: 'short-but-secret-key', OUTPUT: 'mispp' }));
    } finally {
      await es.close();
      await misp.close();
    }
    assert.ok(outputs.some((o) => o.status !== 0) && outputs.some((o) => o.status === 0), 'both failures and successes were exercised');
    assert.ok(outputs.some((o) => /^\s+at /m.test(o.stderr)), 'a stack trace was printed (debug), and checked too');
    const texts = [...outputs.flatMap((o) => [o.stdout, o.stderr]), ...filesUnder(reportDir).map((f) => readFileSync(f, 'utf8')), ...filesUnder(logDir).map((f) => readFileSync(f, 'utf8'))];
    assert.ok(filesUnder(logDir).length > 0, 'the log file was written, and checked too');
    for (const secret of [...Object.values(SECRETS), URL_PASSWORD, 'short-but-secret-key']) {
      const leaks = texts.filter((t) => t.includes(secret));
      assert.equal(leaks.length, 0, `${secret.slice(0, 6)}… leaked:\n${leaks.map((l) => l.slice(Math.max(0, l.indexOf(secret) - 200), l.indexOf(secret) + 50)).join('\n---\n')}`);
    }
  });
});
