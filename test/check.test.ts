import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkHint, checkMetricsPort, findingMark, runChecks } from '../src/check.js';
import { loadConfig } from '../src/config.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-check-'));
after(() => rmSync(work, { recursive: true, force: true }));
const NO_FILE = join(work, 'absent.env');

function configWith(env: Record<string, string>) {
  return loadConfig({ env: { COLLECTION_MODE: 'files', OUTPUT: 'feed', TPOT_DATA_DIR: join(work, 'no-data'), ...env }, envFile: NO_FILE }).config;
}

const lineAbout = (lines: readonly { ok: boolean; line: string }[], start: string) => lines.find((f) => f.line.startsWith(start));

describe('tpot2misp check', () => {
  it('creates nothing, and judges every place a run writes by its nearest existing directory', async () => {
    const root = join(work, 'fresh');
    mkdirSync(root);
    const config = configWith({
      STATE_DB: join(root, 'state', 'tpot2misp.db'),
      MISP_FEED_DIR: join(root, 'feed', 'misp'),
      VALIDATION_REPORT_DIR: join(root, 'report'),
      LOG_FILE_ENABLED: 'true',
      LOG_FILE_PATH: join(root, 'logs', 'tpot2misp.log'),
    });
    const findings = await runChecks(config);
    for (const [what, dir] of [['state database', 'state'], ['MISP feed directory', 'feed'], ['report directory', 'report'], ['log file', 'logs']] as const) {
      const finding = lineAbout(findings, what);
      assert.ok(finding?.ok, `${what}: ${finding?.line}`);
      assert.match(finding.line, /writable \(.* exists; a run creates the rest\)/);
      assert.ok(!existsSync(join(root, dir)), `check created ${dir}`);
    }
  });

  it('reports a place a run could not write, with the setting to change', async () => {
    const blocker = join(work, 'a-file');
    writeFileSync(blocker, 'x');
    const config = configWith({ MISP_FEED_DIR: join(blocker, 'feed'), VALIDATION_REPORT_DIR: join(blocker, 'report'), STATE_DB: join(blocker, 's.db'), LOG_FILE_ENABLED: 'true', LOG_FILE_PATH: join(blocker, 'x.log') });
    const findings = await runChecks(config);
    for (const [what, setting] of [['state database', 'STATE_DB'], ['MISP feed directory', 'MISP_FEED_DIR'], ['report directory', 'VALIDATION_REPORT_DIR'], ['log file', 'LOG_FILE_PATH']] as const) {
      const finding = lineAbout(findings, what);
      assert.equal(finding?.ok, false, `${what}: ${finding?.line}`);
      assert.match(finding.line, new RegExp(`a-file is not a directory — fix: point ${setting} `));
    }
    // A LOG_FILE_PATH that is a directory: writable, but no file a run could open.
    const logDir = join(work, 'log-dir');
    mkdirSync(logDir, { recursive: true });
    const asDir = lineAbout(await runChecks(configWith({ LOG_FILE_ENABLED: 'true', LOG_FILE_PATH: logDir })), 'log file');
    assert.equal(asDir?.ok, false, asDir?.line);
    assert.match(asDir.line, /log-dir: is a directory, not a file — fix: point LOG_FILE_PATH /);
    // Places the configuration does not use are not checked.
    const quiet = await runChecks(configWith({ VALIDATION_REPORT_ENABLED: 'false' }));
    assert.equal(lineAbout(quiet, 'report directory'), undefined);
    assert.equal(lineAbout(quiet, 'log file'), undefined);
    assert.equal(lineAbout(quiet, 'Prometheus'), undefined);
  });

  it('files mode: says when the honeypots last wrote a log, with "!" when nothing was written for 24 h', async () => {
    const dataDir = join(work, 'tpot-data');
    mkdirSync(join(dataDir, 'cowrie', 'log'), { recursive: true });
    mkdirSync(join(dataDir, 'conpot', 'log'), { recursive: true });
    const newestOf = async () => (await runChecks(configWith({ TPOT_DATA_DIR: dataDir }))).find((f) => /^ {2}(no honeypot log|newest log write)/.test(f.line))!;
    // Folders but no log yet (a fresh T-Pot, or the wrong directory level).
    let newest = await newestOf();
    assert.equal(findingMark(newest), '!');
    assert.match(newest.line, /no honeypot log file in it yet/);
    // Conpot logs to conpot_<protocol>.json: the pattern counts too.
    const cowrie = join(dataDir, 'cowrie', 'log', 'cowrie.json');
    const conpot = join(dataDir, 'conpot', 'log', 'conpot_IEC104.json');
    writeFileSync(cowrie, '{}\n');
    writeFileSync(conpot, '{}\n');
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
    utimesSync(cowrie, daysAgo(3), daysAgo(3));
    utimesSync(conpot, daysAgo(2), daysAgo(2));
    newest = await newestOf();
    assert.equal(findingMark(newest), '!');
    assert.match(newest.line, /newest log write: .*\(conpot\/log\/conpot_IEC104\.json\), over 24 h ago/);
    utimesSync(cowrie, new Date(), new Date());
    newest = await newestOf();
    assert.equal(findingMark(newest), '✓');
    assert.match(newest.line, /newest log write: .*\(cowrie\/log\/cowrie\.json\)$/);
  });

  it('says whether PROMETHEUS_PORT is free when metrics are enabled', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const findings = await runChecks(configWith({ PROMETHEUS_ENABLED: 'true', PROMETHEUS_PORT: String(port) }));
      const finding = lineAbout(findings, 'Prometheus');
      assert.equal(finding?.ok, false);
      assert.match(finding.line, new RegExp(`^Prometheus metrics 127\\.0\\.0\\.1:${port} \\(PROMETHEUS_HOST, PROMETHEUS_PORT\\): port ${port} is in use .* — fix: set PROMETHEUS_PORT`));
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
    // Now free: the check binds it only for a moment and leaves it free.
    const free = { ok: true, line: `Prometheus metrics 127.0.0.1:${port} (PROMETHEUS_HOST, PROMETHEUS_PORT): free` };
    assert.deepEqual(await checkMetricsPort(port), free);
    assert.deepEqual(await checkMetricsPort(port), free);
  });

  it('checks the port on PROMETHEUS_HOST, as a run binds it, and names PROMETHEUS_HOST when it is no address of this host', async () => {
    // Busy on loopback only: free on another address of this host would not tell a run on loopback anything.
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const onLoopback = lineAbout(await runChecks(configWith({ PROMETHEUS_ENABLED: 'true', PROMETHEUS_HOST: '127.0.0.1', PROMETHEUS_PORT: String(port) })), 'Prometheus');
      assert.equal(onLoopback?.ok, false, onLoopback?.line);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
    // 192.0.2.1 (TEST-NET-1, documentation only) is no address of this host.
    const elsewhere = lineAbout(await runChecks(configWith({ PROMETHEUS_ENABLED: 'true', PROMETHEUS_HOST: '192.0.2.1', PROMETHEUS_PORT: '9431' })), 'Prometheus');
    assert.equal(elsewhere?.ok, false);
    assert.match(elsewhere.line, /^Prometheus metrics 192\.0\.2\.1:9431 \(PROMETHEUS_HOST, PROMETHEUS_PORT\): 192\.0\.2\.1 is not an address of this host — fix: set PROMETHEUS_HOST/);
  });

  it('shows no password written into MISP_URL, and gives advice that fits a check (no "next run")', async () => {
    const server = createHttpServer((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('overloaded');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const findings = await runChecks(configWith({ OUTPUT: 'misp', MISP_URL: `http://admin:Url-S3cret@127.0.0.1:${port}/`, MISP_KEY: 'A'.repeat(40), VALIDATION_REPORT_ENABLED: 'false' }));
      const misp = lineAbout(findings, 'MISP ');
      assert.equal(misp?.ok, false);
      assert.ok(!findings.some((f) => f.line.includes('Url-S3cret')), findings.map((f) => f.line).join('\n'));
      assert.match(misp.line, new RegExp(`^MISP http://admin:\\*\\*\\*@127\\.0\\.0\\.1:${port}/: .*503.* — fix: MISP is overloaded or failing; check its logs\\.$`));
      assert.doesNotMatch(misp.line, /next run/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('drops from hints only what a run would do later', () => {
    assert.equal(checkHint('MISP is overloaded or failing; check its logs. The data is kept and sent again on the next run.'), 'MISP is overloaded or failing; check its logs.');
    assert.equal(checkHint('a provider outage; the indicator is looked up again on a later run'), 'a provider outage');
    assert.equal(checkHint("check that T-Pot's elasticsearch container is running and healthy (docker ps; it needs a few minutes after boot); the run will pick up where it stopped"), "check that T-Pot's elasticsearch container is running and healthy (docker ps; it needs a few minutes after boot)");
    assert.equal(checkHint('check MISP_URL and that MISP is running and reachable from this host'), 'check MISP_URL and that MISP is running and reachable from this host');
    assert.equal(checkHint(undefined), undefined);
  });
});
