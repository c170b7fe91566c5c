import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEsEmulator, type EsEmulator } from '../emulators/es-emulator.js';
import { startMispEmulator } from '../emulators/misp-emulator.js';
import { runCliAsync as runCli, type CliResult } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-es-conn-'));
const USER = 'webuser';
const PASSWORD = 'c0rrect-h0rse';
const DOC = { '@timestamp': new Date(Date.now() - 3_600_000).toISOString(), type: 'Honeytrap', src_ip: '198.51.100.7', dest_port: 8080 };

// A certificate like the one T-Pot's first boot makes: self-signed, no CN, an IP SAN that is not the one we dial.
function tpotCertificate(): { key: string; cert: string; certFile: string } {
  const keyFile = join(work, 'nginx.key');
  const certFile = join(work, 'nginx.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd', '-addext', 'subjectAltName=IP:10.9.9.9'], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

function run(url: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['run', '--once', '--mode', 'batch', '--output', 'feed', '--feed-dir', join(work, `feed-${Math.random()}`), '--state-db', join(work, `s-${Math.random()}.db`)], {
    ELASTICSEARCH_URL: url,
    ELASTICSEARCH_USER: USER,
    ELASTICSEARCH_PASSWORD: PASSWORD,
    VALIDATION_REPORT_ENABLED: 'false',
    ...env,
  });
}

/** The run failed with one error line naming the cause, no stack trace, and no secret. */
function assertOneLineFailure(result: CliResult, cause: RegExp): void {
  assert.equal(result.status, 1, result.stderr);
  const errorLines = result.stderr.split('\n').filter((l) => l.startsWith('tpot2misp: error'));
  assert.equal(errorLines.length, 1, result.stderr);
  assert.match(errorLines[0]!, cause);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace unless LOG_LEVEL=debug');
  assert.ok(!result.stderr.includes(PASSWORD), 'the password never appears');
}

describe('connecting to T-Pot\'s Elasticsearch the way users reach it', () => {
  let proxied: EsEmulator;
  let tls: EsEmulator;
  let certFile: string;
  before(async () => {
    proxied = await startEsEmulator({ version: '9.3.5', nginx: { user: USER, password: PASSWORD } });
    proxied.add([DOC]);
    const certificate = tpotCertificate();
    certFile = certificate.certFile;
    tls = await startEsEmulator({ version: '8.16.1', nginx: { user: USER, password: PASSWORD }, tls: certificate });
    tls.add([DOC]);
  });
  after(async () => {
    await proxied.close();
    await tls.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('reads through the nginx path prefix with basic auth (ES 9)', async () => {
    const result = await run(proxied.url);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /1 records read, 1 attacks/);
  });

  it('wrong password: says the credentials were refused, names the settings', async () => {
    const result = await run(proxied.url, { ELASTICSEARCH_PASSWORD: 'wrong' });
    assertOneLineFailure(result, /refused the credentials \(HTTP 401\)/);
    assert.match(result.stderr, /ELASTICSEARCH_USER and ELASTICSEARCH_PASSWORD/);
  });

  it('missing trailing slash: says so and shows the URL to use', async () => {
    const result = await run(proxied.url.replace(/\/$/, ''));
    assertOneLineFailure(result, /web page, not Elasticsearch \(the URL has no trailing slash\)/);
    assert.ok(result.stderr.includes(`ELASTICSEARCH_URL=${proxied.url}`), result.stderr);
  });

  it('Elasticsearch down behind nginx (502): says Elasticsearch is down', async () => {
    proxied.failNext(502, 1);
    assertOneLineFailure(await run(proxied.url), /Elasticsearch behind .* is down or not answering \(HTTP 502/);
  });

  it('nothing listening: says it cannot reach Elasticsearch', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    assertOneLineFailure(await run(`http://127.0.0.1:${port}/`), /cannot reach Elasticsearch at .*ECONNREFUSED/);
  });

  it('untrusted certificate: refused by default, with the fix in the hint', async () => {
    const result = await run(tls.url);
    assertOneLineFailure(result, /TLS certificate of .* is not trusted/);
    assert.match(result.stderr, /ELASTICSEARCH_CA_FILE/);
  });

  it('ELASTICSEARCH_CA_FILE pins T-Pot\'s certificate even though its name does not match (ES 8)', async () => {
    const result = await run(tls.url, { ELASTICSEARCH_CA_FILE: certFile });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /1 attacks/);
  });

  it('ELASTICSEARCH_VERIFY_SSL=false works, loudly', async () => {
    const result = await run(tls.url, { ELASTICSEARCH_VERIFY_SSL: 'false', LOG_LEVEL: 'warn' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /TLS verification is OFF for Elasticsearch/);
  });

  it('a stack trace only at LOG_LEVEL=debug', async () => {
    const result = await run(proxied.url, { ELASTICSEARCH_PASSWORD: 'wrong', LOG_LEVEL: 'debug' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^\s+at /m);
  });

  it('`tpot2misp check` reports versions, indices and per-type counts, and what cannot work with its fix', async () => {
    const misp = await startMispEmulator();
    try {
      const env = { ELASTICSEARCH_URL: proxied.url, ELASTICSEARCH_USER: USER, ELASTICSEARCH_PASSWORD: PASSWORD, MISP_URL: misp.url, MISP_KEY: misp.apiKey };
      const good = await runCli(['check', '--mode', 'batch', '--output', 'misp'], env);
      assert.equal(good.status, 0, good.stdout + good.stderr);
      assert.match(good.stdout, /✓ Elasticsearch .*: Elasticsearch 9\.3\.5/);
      assert.match(good.stdout, /1 logstash-\* indices, 1 documents, newest logstash-\d{4}\.\d{2}\.\d{2}/);
      assert.match(good.stdout, /last 24 h: Honeytrap 1/);
      assert.match(good.stdout, /✓ MISP .*: MISP \d/);
      assert.match(good.stdout, /may create events/);
      assert.equal(misp.writeRequests(), 0, 'check writes nothing');
      const bad = await runCli(['check', '--mode', 'batch', '--output', 'misp'], { ...env, ELASTICSEARCH_PASSWORD: 'wrong', MISP_KEY: 'x'.repeat(40) });
      assert.equal(bad.status, 1);
      assert.match(bad.stdout, /✗ Elasticsearch .*refused the credentials .* fix: check ELASTICSEARCH_USER/);
      assert.match(bad.stdout, /✗ MISP .*the API key was refused/);
      assert.ok(!bad.stdout.includes(PASSWORD) && !bad.stdout.includes(misp.apiKey));
    } finally {
      await misp.close();
    }
  });

  it('`tpot2misp check` marks what works but deserves a look with "!" (no attack in 24 h, TLS verification off) and still passes', async () => {
    const quiet = await startEsEmulator({ nginx: { user: USER, password: PASSWORD }, tls: { ...tpotCertificate() } });
    try {
      quiet.add([{ ...DOC, '@timestamp': new Date(Date.now() - 3 * 86_400_000).toISOString() }]);
      const env = {
        ELASTICSEARCH_URL: quiet.url,
        ELASTICSEARCH_USER: USER,
        ELASTICSEARCH_PASSWORD: PASSWORD,
        ELASTICSEARCH_VERIFY_SSL: 'false',
        MISP_FEED_DIR: join(work, 'quiet-feed'),
        STATE_DB: join(work, 'quiet.db'),
        VALIDATION_REPORT_ENABLED: 'false',
      };
      const result = await runCli(['check', '--mode', 'batch', '--output', 'feed'], env);
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^! Elasticsearch .*\(TLS verification OFF\)$/m);
      assert.match(result.stdout, /^✓ +1 logstash-\* indices/m);
      assert.match(result.stdout, /^! +last 24 h: no documents/m);
    } finally {
      await quiet.close();
    }
  });

  it('`tpot2misp check` with nothing reachable: non-zero, one actionable line per component', async () => {
    const dead = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const result = await runCli(['check', '--mode', 'batch', '--output', 'misp'], {
      ELASTICSEARCH_URL: `http://127.0.0.1:${dead}/`,
      MISP_URL: `http://127.0.0.1:${dead}`,
      MISP_KEY: 'a'.repeat(40),
      STATE_DB: join(work, 'check', 'state.db'),
    });
    assert.equal(result.status, 1);
    const failures = result.stdout.split('\n').filter((l) => l.startsWith('✗'));
    assert.equal(failures.length, 2, result.stdout);
    assert.ok(failures.every((l) => / — fix: /.test(l)), result.stdout);
    assert.match(result.stdout, /✗ Elasticsearch .*ECONNREFUSED/);
    assert.match(result.stdout, /✗ MISP .*ECONNREFUSED/);
    assert.match(result.stdout, /✓ state database .*writable/);
  });
});
