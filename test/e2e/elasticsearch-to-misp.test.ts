import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startEsEmulator } from '../emulators/es-emulator.js';
import { startMispEmulator, type MispEmulator, type MispStoredEvent } from '../emulators/misp-emulator.js';
import { runCliAsync as runCli, startCli } from '../support/cli.js';
import { until } from '../support/until.js';
import { generateTpotDocs } from '../../src/simulate/synthetic-tpot.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-e2e-es-'));
after(() => rmSync(work, { recursive: true, force: true }));

function typeOf(event: MispStoredEvent): string {
  return /^T-Pot (\S+) attacks/.exec(event.info)?.[1] ?? '?';
}

/** Everything an analyst sees in MISP, in a comparable form. */
function content(misp: MispEmulator): string[] {
  return misp
    .events()
    .flatMap((event) => [
      `${event.uuid} ${event.info} ${event.date}`,
      ...event.Attribute.map((a) => `${event.info} A ${a.uuid} ${a.type} ${a.value} ${a.to_ids} ${a.comment} ${a.first_seen} ${a.last_seen}`),
      ...event.Object.map((o) => `${event.info} O ${o.uuid} ${o.name} ${o.comment} ${o.Attribute.map((a) => `${a.object_relation}=${a.value}`).sort().join(',')}`),
    ])
    .sort();
}

describe('batch mode: Elasticsearch (emulated) → MISP (emulated)', () => {
  it('reads 250,000 documents over three days completely: every valid attacker once, in its day\'s event', async () => {
    const set = generateTpotDocs({ docs: 250_000, uniqueIps: 30_000, days: 3, seed: 7 });
    const es = await startEsEmulator({ version: '8.17.4', nginx: { user: 'webuser', password: 's3cret pass' } });
    const misp = await startMispEmulator();
    try {
      es.add(set.docs);
      const run = () =>
        runCli(['run', '--once', '--mode', 'batch', '--output', 'misp', '--state-db', join(work, 'big.db'), '--since', '2025-03-01'], {
          ELASTICSEARCH_URL: es.url,
          ELASTICSEARCH_USER: 'webuser',
          ELASTICSEARCH_PASSWORD: 's3cret pass',
          MISP_URL: misp.url,
          MISP_KEY: misp.apiKey,
          VALIDATION_REPORT_ENABLED: 'false',
        });
      const result = await run();
      assert.equal(result.status, 0, result.stderr);
      const events = misp.events();
      const got = new Map(events.map((e) => [`${typeOf(e)}|${e.date}`, e.Attribute.filter((a) => a.type === 'ip-src').map((a) => a.value)]));
      assert.deepEqual([...got.keys()].sort(), [...set.expected.keys()].sort(), 'one event per honeypot and day, nothing from NGINX or P0f');
      for (const [key, ips] of set.expected) {
        const actual = got.get(key)!;
        assert.equal(actual.length, new Set(actual).size, `${key}: each IP once`);
        const present = new Set(actual);
        const missing = [...ips].filter((ip) => !present.has(ip));
        const extra = actual.filter((ip) => !ips.has(ip));
        assert.deepEqual({ missing: missing.slice(0, 10), extra: extra.slice(0, 10), counts: [missing.length, extra.length] }, { missing: [], extra: [], counts: [0, 0] }, `${key}: exactly the valid attacker IPs`);
      }
      assert.deepEqual(misp.specViolations, []);
      assert.deepEqual(misp.unreported, []);
      // Every page went through a point in time; none was larger than ES allows, none was cut.
      assert.equal(es.requests.byEndpoint['POST /{index}/_pit'], 1);
      assert.ok((es.requests.byEndpoint['POST /_search'] ?? 0) >= Math.ceil(250_000 * 0.85 / 5000), JSON.stringify(es.requests.byEndpoint));
      assert.equal(es.requests.byEndpoint['DELETE /_pit'], 1, 'the point in time is released');
      assert.ok(es.requests.bytesSent < es.requests.bytesOfFullSource * 0.6, `_source filtering: ${es.requests.bytesSent} of ${es.requests.bytesOfFullSource} bytes`);

      // A second run finds nothing new and writes nothing.
      const writes = misp.writeRequests();
      const again = await run();
      assert.equal(again.status, 0, again.stderr);
      assert.equal(misp.writeRequests(), writes);
    } finally {
      await es.close();
      await misp.close();
    }
  });

  it('continues from its checkpoint: late documents inside the overlap are read, nothing is counted twice', async () => {
    const es = await startEsEmulator();
    const misp = await startMispEmulator();
    const now = Date.now();
    const doc = (minutesAgo: number, ip: string) => ({
      '@timestamp': new Date(now - minutesAgo * 60_000).toISOString(),
      type: 'Honeytrap',
      src_ip: ip,
      dest_port: 8080,
      't-pot_ip_ext': '203.0.113.10',
    });
    const env = { ELASTICSEARCH_URL: es.url, MISP_URL: misp.url, MISP_KEY: misp.apiKey, VALIDATION_REPORT_ENABLED: 'false', LOOKBACK_DAYS: '1' };
    const args = ['run', '--once', '--mode', 'batch', '--output', 'misp', '--state-db', join(work, 'overlap.db')];
    try {
      es.add([doc(60, '198.51.100.1'), doc(3, '198.51.100.2'), doc(3, '198.51.100.2'), doc(60 * 30, '198.51.100.9')]);
      assert.equal((await runCli(args, env)).status, 0);
      // Indexed late: 4 minutes old (inside the 10-minute overlap), plus a fresh one.
      es.add([doc(4, '198.51.100.3'), doc(0.5, '198.51.100.2')]);
      const second = await runCli(args, env);
      assert.equal(second.status, 0, second.stderr);
      const ips = misp.events().flatMap((e) => e.Attribute.filter((a) => a.type === 'ip-src'));
      const byIp = new Map(ips.map((a) => [a.value, a.comment]));
      assert.deepEqual([...byIp.keys()].sort(), ['198.51.100.1', '198.51.100.2', '198.51.100.3'], 'the 30-hour-old document is beyond LOOKBACK_DAYS=1');
      assert.match(byIp.get('198.51.100.2')!, /^3 hits/, 'two documents from the first run and one new: no re-count');
      assert.match(byIp.get('198.51.100.1')!, /^1 hit\b/);
    } finally {
      await es.close();
      await misp.close();
    }
  });

  it('reports the attackers\' countries and networks from T-Pot\'s GeoIP fields (fetched, nothing else of geoip)', async () => {
    const es = await startEsEmulator();
    const misp = await startMispEmulator();
    const docs = readFileSync(new URL('../../../shared/fixtures/tpot/cowrie.es.jsonl', import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const reportDir = join(work, 'geo-report');
    try {
      es.add(docs);
      const result = await runCli(['run', '--once', '--mode', 'batch', '--output', 'misp', '--state-db', join(work, 'geo.db'), '--since', '2025-01-01'], {
        ELASTICSEARCH_URL: es.url, MISP_URL: misp.url, MISP_KEY: misp.apiKey, VALIDATION_REPORT_DIR: reportDir, VALIDATION_REPORT_FORMAT: 'json,txt',
      });
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { attacks: number; totals: { attacks: number }; attacksWithOrigin: number; top: { countries: { value: string; count: number }[]; asns: { value: string; count: number }[] } };
      const withGeo = docs.filter((d) => (d['geoip'] as { country_code2?: string } | undefined)?.country_code2 !== undefined);
      assert.ok(report.attacksWithOrigin > 0 && report.attacksWithOrigin <= report.totals.attacks);
      const expectedCountries = new Set(withGeo.map((d) => (d['geoip'] as { country_code2: string }).country_code2));
      assert.deepEqual(new Set(report.top.countries.map((c) => c.value)), expectedCountries);
      assert.ok(report.top.asns.some((a) => a.value === 'AS64500 Example Hosting B.V.'), JSON.stringify(report.top.asns));
      assert.match(readFileSync(join(reportDir, 'report.txt'), 'utf8'), /^countries: NL \(\d+\)/m);
    } finally {
      await es.close();
      await misp.close();
    }
  });

  it('killed with SIGKILL mid-run, then run again: the same MISP content as an uninterrupted run', async () => {
    const set = generateTpotDocs({ docs: 60_000, uniqueIps: 8_000, days: 2, seed: 11 });
    const es = await startEsEmulator();
    es.add(set.docs);
    const reference = await startMispEmulator();
    const crashed = await startMispEmulator();
    const env = (misp: MispEmulator) => ({
      ELASTICSEARCH_URL: es.url,
      ELASTICSEARCH_PAGE_SIZE: '500',
      MAX_PENDING_INDICATORS: '1000',
      MISP_URL: misp.url,
      MISP_KEY: misp.apiKey,
      VALIDATION_REPORT_ENABLED: 'false',
    });
    const args = (db: string) => ['run', '--once', '--mode', 'batch', '--output', 'misp', '--state-db', join(work, db), '--since', '2025-03-01'];
    try {
      const uninterrupted = await runCli(args('reference.db'), env(reference));
      assert.equal(uninterrupted.status, 0, uninterrupted.stderr);
      const total = reference.writeRequests();

      const { child, done } = startCli(args('crashed.db'), env(crashed));
      // Kill it once part of the work has reached MISP, but well before the end.
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (crashed.writeRequests() >= total / 3) {
            clearInterval(timer);
            child.kill('SIGKILL');
            resolve();
          }
        }, 5);
        done.then(() => {
          clearInterval(timer);
          reject(new Error('the run ended before it could be killed'));
        }, reject);
      });
      const killed = await done;
      assert.equal(killed.status, null, 'killed by a signal');
      assert.ok(crashed.events().length > 0, 'something had been delivered before the kill');
      const resumed = await runCli(args('crashed.db'), env(crashed));
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.deepEqual(content(crashed), content(reference));
    } finally {
      await es.close();
      await reference.close();
      await crashed.close();
    }
  });

  it('SIGTERM mid-run: the current batch is delivered and committed, the process exits by itself, a re-run completes', async () => {
    const set = generateTpotDocs({ docs: 30_000, uniqueIps: 5_000, days: 2, seed: 13 });
    const es = await startEsEmulator();
    es.add(set.docs);
    const reference = await startMispEmulator();
    const stopped = await startMispEmulator();
    const env = (misp: MispEmulator) => ({ ELASTICSEARCH_URL: es.url, ELASTICSEARCH_PAGE_SIZE: '500', MAX_PENDING_INDICATORS: '1000', MISP_URL: misp.url, MISP_KEY: misp.apiKey, VALIDATION_REPORT_ENABLED: 'false' });
    const args = (db: string) => ['run', '--once', '--mode', 'batch', '--output', 'misp', '--state-db', join(work, db), '--since', '2025-03-01'];
    const recordsRead = (stdout: string) => Number(/(\d+) records read/.exec(stdout)?.[1] ?? NaN);
    try {
      const full = await runCli(args('reference-term.db'), env(reference));
      assert.equal(full.status, 0, full.stderr);
      const total = reference.writeRequests();

      const { child, done } = startCli(args('term.db'), env(stopped));
      await until(() => stopped.writeRequests() >= total / 3, 60_000, 'a third of the work delivered');
      child.kill('SIGTERM');
      const first = await done;
      assert.equal(first.status, 0, `a clean exit after SIGTERM: ${first.stderr}`);
      assert.ok(recordsRead(first.stdout) < recordsRead(full.stdout), 'it stopped before the end');
      const rest = await runCli(args('term.db'), env(stopped));
      assert.equal(rest.status, 0, rest.stderr);
      // The checkpoint had moved: the re-run reads only what the stopped run had not delivered.
      assert.ok(recordsRead(first.stdout) + recordsRead(rest.stdout) <= recordsRead(full.stdout) + 1_000, `${recordsRead(first.stdout)} + ${recordsRead(rest.stdout)} records for ${recordsRead(full.stdout)}`);
      assert.deepEqual(content(stopped), content(reference));
    } finally {
      await es.close();
      await reference.close();
      await stopped.close();
    }
  });
});
