// Enrichment end to end: T-Pot files → tpot2misp (in-process, on a test clock) → the MISP emulator, with
// VirusTotal, AbuseIPDB and GreyNoise emulated from the shared fixtures.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Logger } from 'pino';
import { loadConfig } from '../../src/config.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { RunReportJson } from '../../src/report.js';
import { createEnricher } from '../../src/enrichment/setup.js';
import { runRealtime } from '../../src/realtime.js';
import { buildSettings, createSink, ipPolicy, runOnce } from '../../src/run-once.js';
import { StateStore } from '../../src/state.js';
import { FIXTURE_IPS, startEnrichmentEmulator, type EnrichmentEmulator } from '../emulators/enrichment-emulator.js';
import { startMispEmulator, type MispEmulator, type MispStoredEvent, type StoredAttribute } from '../emulators/misp-emulator.js';
import { runCliAsync } from '../support/cli.js';
import { checkFeedWithPyMisp } from '../support/pymisp.js';
import { TestClock } from '../support/test-clock.js';
import { capturedLogger } from '../support/captured-log.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-enrichment-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Attacker {
  readonly ip: string;
  readonly hits: number;
}

/** 2,000 attackers: the fixture IPs are the most active, then a few busy ones, then one hit each. */
function attackers(count: number): Attacker[] {
  const list: Attacker[] = [
    { ip: FIXTURE_IPS.malicious, hits: 40 },
    { ip: FIXTURE_IPS.riot, hits: 39 },
    { ip: FIXTURE_IPS.clean, hits: 38 },
  ];
  for (let i = 0; list.length < count; i++) {
    list.push({ ip: `45.${Math.floor(i / 250) + 10}.${i % 250}.${(i * 7) % 250 + 1}`, hits: i < 20 ? 30 - i : 1 });
  }
  return list;
}

/** Appends Cowrie connect events for `day` (YYYY-MM-DD) to a T-Pot data directory. */
function writeCowrie(dataDir: string, day: string, list: readonly Attacker[]): void {
  const dir = join(dataDir, 'cowrie', 'log');
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  list.forEach((a, index) => {
    for (let hit = 0; hit < a.hits; hit++) {
      const second = (index * 13 + hit) % 86_000;
      const time = new Date(Date.parse(`${day}T00:00:00Z`) + second * 1000).toISOString();
      lines.push(JSON.stringify({ eventid: 'cowrie.session.connect', src_ip: a.ip, session: `s${index}x${hit}`, protocol: 'ssh', src_port: 40_000 + hit, dst_ip: '172.18.0.4', dst_port: 22, timestamp: time }));
    }
  });
  appendFileSync(join(dir, 'cowrie.json'), `${lines.join('\n')}\n`);
}


interface Scenario {
  readonly dir: string;
  readonly dataDir: string;
  readonly env: Record<string, string>;
}

function scenario(name: string, misp: MispEmulator, enrichment: EnrichmentEmulator, env: Record<string, string>): Scenario {
  const dir = join(work, name);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  return {
    dir,
    dataDir,
    env: {
      COLLECTION_MODE: 'files',
      TPOT_DATA_DIR: dataDir,
      OUTPUT: 'misp',
      MISP_URL: misp.url,
      MISP_KEY: misp.apiKey,
      STATE_DB: join(dir, 'state.db'),
      VALIDATION_REPORT_DIR: join(dir, 'report'),
      VALIDATION_REPORT_FORMAT: 'json',
      ENRICHMENT_ENABLED: 'true',
      VIRUSTOTAL_URL: enrichment.baseUrls.virustotal,
      ABUSEIPDB_URL: enrichment.baseUrls.abuseipdb,
      GREYNOISE_URL: enrichment.baseUrls.greynoise,
      ...env,
    },
  };
}

async function run(s: Scenario, clock: TestClock, extra: Record<string, string> = {}): Promise<{ report: RunReportJson; logs: Record<string, unknown>[]; metrics: string }> {
  const { config } = loadConfig({ env: { ...s.env, ...extra }, envFile: join(s.dir, 'no.env') });
  const { log, lines } = capturedLogger();
  const metrics = new Metrics();
  await runOnce(config, log, {}, metrics, { clock });
  const report = JSON.parse(readFileSync(join(s.dir, 'report', 'report.json'), 'utf8')) as RunReportJson;
  return { report, logs: lines, metrics: await metrics.registry.metrics() };
}

function eventsOfDay(misp: MispEmulator, day: string): MispStoredEvent[] {
  return misp.events().filter((e) => e.date === day);
}

function ipAttribute(event: MispStoredEvent, ip: string): StoredAttribute | undefined {
  return event.Attribute.find((a) => a.type === 'ip-src' && a.value === ip);
}

/** The largest number of requests inside any window of `windowMs`. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('enrichment within quotas, without holding up delivery', () => {
  let misp: MispEmulator;
  let enrichment: EnrichmentEmulator;
  const clock = new TestClock();

  before(async () => {
    misp = await startMispEmulator();
    enrichment = await startEnrichmentEmulator({ clock: () => clock.now() });
  });
  after(async () => {
    await enrichment.close();
    await misp.close();
  });

  it('2,000 IPs at VirusTotal\'s 4/min: the run stays within ENRICHMENT_MAX_SECONDS, MISP gets every IP, the rest waits, most active first', async () => {
    const list = attackers(2000);
    const s = scenario('quota', misp, enrichment, { VIRUSTOTAL_API_KEY: enrichment.keys.virustotal });
    writeCowrie(s.dataDir, '2026-11-01', list);
    const start = clock.now();

    const { report } = await run(s, clock);

    assert.ok(clock.now() - start <= 60_000, `enrichment took ${(clock.now() - start) / 1000} s of the 60 s budget`);
    const [event] = eventsOfDay(misp, '2026-11-01');
    assert.ok(event);
    assert.equal(event.Attribute.filter((a) => a.type === 'ip-src').length, 2000, 'every IP is in MISP');
    const vt = enrichment.times.virustotal;
    assert.ok(vt.length >= 1 && busiestWindow(vt.map((t) => t.at), 60_000) <= 4, `${vt.length} VirusTotal requests, at most 4 per minute`);
    const stats = report.enrichment?.['virustotal'];
    assert.ok(stats);
    assert.equal(stats.requests, vt.length);
    assert.equal(stats.queued, 2000 - vt.length, 'the others stay queued for later runs');

    // Most active first: the fixture IPs, in order of hits.
    const asked = (enrichment.lastRequest.virustotal?.url ?? '').split('/').at(-1);
    assert.equal(asked, list[vt.length - 1]!.ip);
    const malicious = ipAttribute(event, FIXTURE_IPS.malicious)!;
    assert.ok(malicious.Tag.some((t) => t.name === 'virustotal:verdict="malicious"'), 'the known-bad IP is tagged');
    const vtObject = event.Object.find((o) => o.name === 'virustotal-report' && o.ObjectReference.some((r) => r.referenced_uuid === malicious.uuid));
    assert.ok(vtObject, 'a virustotal-report object attached to the IP it describes');
    assert.ok(vtObject.Attribute.some((a) => a.object_relation === 'permalink' && a.value.includes(FIXTURE_IPS.malicious)));
    assert.deepEqual(misp.specViolations, []);
    assert.deepEqual(misp.unreported, []);

    // Later runs take the queue in order, 4 a minute, with a larger budget.
    const before = vt.length;
    const { report: second } = await run(s, clock, { ENRICHMENT_MAX_SECONDS: '600' });
    const added = vt.slice(before);
    assert.ok(added.length >= 30 && added.length <= 44, `${added.length} requests in a 10-minute budget`);
    assert.ok(busiestWindow(vt.map((t) => t.at), 60_000) <= 4);
    assert.equal(second.enrichment?.['virustotal']?.queued, 2000 - vt.length);
    const state = StateStore.open(s.env['STATE_DB']!);
    try {
      // Most active first; equally active IPs in address order.
      const order = [...list].sort((a, b) => b.hits - a.hits || (a.ip < b.ip ? -1 : 1));
      const askedIps = new Set(order.slice(0, vt.length).map((a) => a.ip));
      assert.equal(state.nextEnrichment('virustotal', 1)[0]?.value, order[vt.length]!.ip, 'the queue continues with the next most active IP');
      assert.equal(state.nextEnrichment('virustotal', 5000).filter((row) => askedIps.has(row.value)).length, 0, 'the IPs asked so far were the most active ones');
    } finally {
      state.close();
    }
  });

  it('SIGTERM while waiting for a quota slot ends the pass at once, and what was answered is still delivered', async () => {
    const list = attackers(20);
    const s = scenario('sigterm', misp, enrichment, { VIRUSTOTAL_API_KEY: enrichment.keys.virustotal, ENRICHMENT_MAX_SECONDS: '3600' });
    writeCowrie(s.dataDir, '2026-11-02', list);
    const stop = new AbortController();
    // The signal arrives the moment the pass starts waiting for VirusTotal's next slot.
    const stopping = new (class extends TestClock {
      override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
        stop.abort();
        if (signal?.aborted !== true) await super.sleep(ms);
      }
    })(clock.now());
    const before = enrichment.times.virustotal.length;
    const { config } = loadConfig({ env: s.env, envFile: join(s.dir, 'no.env') });
    await runOnce(config, capturedLogger().log, {}, new Metrics(), { clock: stopping, stop: stop.signal });
    assert.equal(enrichment.times.virustotal.length - before, 4, 'the four free slots were used, then the wait was cut short');
    assert.equal(stopping.now(), clock.now(), 'no time was spent waiting');
    const [event] = eventsOfDay(misp, '2026-11-02');
    assert.equal(event?.Attribute.filter((a) => a.type === 'ip-src').length, 20);
    assert.ok(ipAttribute(event!, FIXTURE_IPS.malicious)!.Tag.some((t) => t.name === 'virustotal:verdict="malicious"'), 'answers before the signal reached MISP');
  });

  it('a second run within CACHE_DURATION asks nothing; after it, the providers are asked again', async () => {
    const list = attackers(6);
    const s = scenario('ttl', misp, enrichment, {
      VIRUSTOTAL_API_KEY: enrichment.keys.virustotal,
      VIRUSTOTAL_REQUESTS_PER_MINUTE: '0',
      ABUSEIPDB_API_KEY: enrichment.keys.abuseipdb,
      GREYNOISE_API_KEY: enrichment.keys.greynoise,
      CACHE_DURATION: '3600',
      VALIDATION_REPORT_FORMAT: 'json,txt,html',
    });
    const count = () => enrichment.times.virustotal.length + enrichment.times.abuseipdb.length + enrichment.times.greynoise.length;

    writeCowrie(s.dataDir, '2026-11-03', list);
    let before = count();
    const { report: first } = await run(s, clock);
    assert.equal(count() - before, 6 * 3, 'each IP once per provider');
    assert.equal(first.enrichment?.['abuseipdb']?.queued, 0);

    // The same attackers the next day, 10 minutes later: answers come from the cache.
    clock.advance(600_000);
    writeCowrie(s.dataDir, '2026-11-04', list);
    before = count();
    const { report: second, metrics } = await run(s, clock);
    assert.equal(count() - before, 0, 'no provider request within the TTL');
    assert.match(metrics, /tpot2misp_enrichment_cache_hits_total\{provider="abuseipdb"\} 6/);
    const text = readFileSync(join(s.dir, 'report', 'report.txt'), 'utf8');
    assert.match(text, /^virustotal +requests 0 +found 0 +not found 0 +from cache 6 +errors 0 +still queued 0$/m, 'the text report shows the enrichment counts');
    assert.match(readFileSync(join(s.dir, 'report', 'report.html'), 'utf8'), /<h2>Enrichment<\/h2>.*<td>greynoise<\/td><td class="n">0<\/td>/s);
    assert.equal(second.enrichment?.['virustotal']?.cacheHits, 6);
    const [day2] = eventsOfDay(misp, '2026-11-04');
    assert.ok(day2);
    const riot = ipAttribute(day2, FIXTURE_IPS.riot)!;
    assert.ok(riot.Tag.some((t) => t.name === 'tpot:scanner="benign"'), 'benign scanners are kept and tagged by default');
    assert.ok(riot.Tag.some((t) => t.name === 'greynoise:classification="benign"'));
    const names = new Set(day2.Object.map((o) => o.name));
    for (const template of ['virustotal-report', 'abuseipdb', 'greynoise-ip']) assert.ok(names.has(template), `${template} object from the cache`);

    // After the TTL: asked again.
    clock.advance(3_600_000);
    writeCowrie(s.dataDir, '2026-11-05', list);
    before = count();
    await run(s, clock);
    assert.equal(count() - before, 6 * 3, 'asked again once the answers expired');
    assert.deepEqual(misp.specViolations, []);
    assert.deepEqual(misp.unreported, []);
  });

  it('a 429 with Retry-After: 30 pauses only that provider for 30 s; a 401 disables a provider with one message naming its key; the run completes', async () => {
    const list = attackers(12);
    const s = scenario('errors', misp, enrichment, {
      VIRUSTOTAL_API_KEY: enrichment.keys.virustotal,
      VIRUSTOTAL_REQUESTS_PER_MINUTE: '0',
      ABUSEIPDB_API_KEY: 'a-revoked-key',
      GREYNOISE_API_KEY: enrichment.keys.greynoise,
    });
    writeCowrie(s.dataDir, '2026-11-06', list);
    enrichment.rateLimit('virustotal', { retryAfter: '30', count: 1 });
    const vtBefore = enrichment.times.virustotal.length;
    const abuseBefore = enrichment.times.abuseipdb.length;
    const gnBefore = enrichment.times.greynoise.length;

    const { report, logs, metrics } = await run(s, clock);

    assert.match(metrics, /tpot2misp_enrichment_requests_total\{provider="virustotal",status="429"\} 1/);
    assert.match(metrics, /tpot2misp_enrichment_errors_total\{provider="abuseipdb",status="401"\} 1/);
    assert.match(metrics, /tpot2misp_indicators_enriched_total\{provider="greynoise"\} 12/);
    assert.match(metrics, /tpot2misp_enrichment_quota_remaining\{provider="greynoise"\} \d+/);
    assert.match(metrics, /tpot2misp_enrichment_queue_items\{provider="abuseipdb"\} 12/);
    const vt = enrichment.times.virustotal.slice(vtBefore);
    assert.equal(vt[0]?.status, 429);
    assert.ok(vt[1]!.at - vt[0]!.at >= 30_000, `VirusTotal waited ${(vt[1]!.at - vt[0]!.at) / 1000} s after the 429`);
    assert.ok(vt[1]!.at - vt[0]!.at < 40_000);
    assert.equal(vt.length, 13, 'the refused IP is asked again after the pause, then the rest');
    assert.equal(enrichment.times.greynoise.length - gnBefore, 12, 'GreyNoise is not paused by VirusTotal\'s 429');

    assert.equal(enrichment.times.abuseipdb.length - abuseBefore, 1, 'one request, then AbuseIPDB is off');
    const authErrors = logs.filter((l) => l['level'] === 50 && String(l['msg']).includes('ABUSEIPDB_API_KEY'));
    assert.equal(authErrors.length, 1, 'exactly one error message, naming ABUSEIPDB_API_KEY');
    assert.ok(!JSON.stringify(logs).includes('a-revoked-key'), 'the key itself is never logged');
    assert.match(report.enrichment?.['abuseipdb']?.disabled ?? '', /ABUSEIPDB_API_KEY/);

    const [event] = eventsOfDay(misp, '2026-11-06');
    assert.equal(event?.Attribute.filter((a) => a.type === 'ip-src').length, 12, 'the run completed: every IP is in MISP');
  });

  it('ENRICHMENT_DROP_BENIGN=true: a benign scanner learned after delivery is soft-deleted, and later left out', async () => {
    const list = attackers(4);
    const s = scenario('drop-benign', misp, enrichment, { GREYNOISE_API_KEY: enrichment.keys.greynoise, ENRICHMENT_DROP_BENIGN: 'true' });
    writeCowrie(s.dataDir, '2026-11-07', list);
    await run(s, clock);
    const [first] = eventsOfDay(misp, '2026-11-07');
    assert.equal(ipAttribute(first!, FIXTURE_IPS.riot)?.deleted, true, 'delivered at once, removed once GreyNoise said benign');
    assert.equal(ipAttribute(first!, FIXTURE_IPS.malicious)?.deleted, false);

    writeCowrie(s.dataDir, '2026-11-08', list);
    await run(s, clock);
    const [second] = eventsOfDay(misp, '2026-11-08');
    assert.equal(ipAttribute(second!, FIXTURE_IPS.riot), undefined, 'known benign: never sent');
    assert.ok(ipAttribute(second!, FIXTURE_IPS.malicious));
    assert.deepEqual(misp.specViolations, []);
    assert.deepEqual(misp.unreported, []);
  });

  it('ENRICHMENT_DROP_BENIGN=true: an expired "benign" is re-checked, and a scanner that is no longer benign is delivered again (restored in MISP)', async () => {
    const list = attackers(4);
    const s = scenario('benign-flip', misp, enrichment, { GREYNOISE_API_KEY: enrichment.keys.greynoise, ENRICHMENT_DROP_BENIGN: 'true', CACHE_DURATION: '3600' });
    writeCowrie(s.dataDir, '2026-11-10', list);
    await run(s, clock);
    const [event] = eventsOfDay(misp, '2026-11-10');
    assert.equal(ipAttribute(event!, FIXTURE_IPS.riot)?.deleted, true);

    // Two hours later (the "benign" answer has expired) GreyNoise no longer knows the address, which attacks again
    // that day and the next.
    enrichment.answer('greynoise', FIXTURE_IPS.riot, { status: 404, body: { ip: FIXTURE_IPS.riot, noise: false, riot: false, message: 'IP not observed scanning the internet or contained in RIOT data set.' } });
    try {
      clock.advance(2 * 3_600_000);
      writeCowrie(s.dataDir, '2026-11-10', [{ ip: FIXTURE_IPS.riot, hits: 3 }]);
      writeCowrie(s.dataDir, '2026-11-11', [{ ip: FIXTURE_IPS.riot, hits: 2 }]);
      await run(s, clock);
      const restored = ipAttribute(eventsOfDay(misp, '2026-11-10')[0]!, FIXTURE_IPS.riot)!;
      assert.equal(restored.deleted, false, 'restored: not a benign scanner any more');
      assert.match(restored.comment, /^42 hits/, 'with every hit, the ones before the verdict included');
      const nextDay = ipAttribute(eventsOfDay(misp, '2026-11-11')[0]!, FIXTURE_IPS.riot);
      assert.equal(nextDay?.deleted, false, 'an expired verdict does not keep it out: delivered, then re-checked');
      assert.match(nextDay.comment, /^2 hits/);
      assert.deepEqual(misp.specViolations, []);
      assert.deepEqual(misp.unreported, []);
    } finally {
      enrichment.answer('greynoise', FIXTURE_IPS.riot, undefined);
    }
  });

  it('a verdict that changes on a re-check replaces the old tag in MISP (MISP keeps tags across edits: it is removed explicitly)', async () => {
    const list = attackers(3);
    const s = scenario('verdict-change', misp, enrichment, { ABUSEIPDB_API_KEY: enrichment.keys.abuseipdb, CACHE_DURATION: '3600' });
    writeCowrie(s.dataDir, '2026-11-12', list);
    await run(s, clock);
    const tagsOf = () => ipAttribute(eventsOfDay(misp, '2026-11-12')[0]!, FIXTURE_IPS.malicious)!.Tag.map((t) => t.name).filter((n) => n.startsWith('abuseipdb:'));
    assert.deepEqual(tagsOf(), ['abuseipdb:confidence="high"']);

    // A high-risk answer is re-checked after a quarter of CACHE_DURATION; by then AbuseIPDB's reports have aged out.
    const clean = JSON.parse(readFileSync(new URL('../../../shared/fixtures/enrichment/abuseipdb/check-clean.json', import.meta.url), 'utf8')) as { data: Record<string, unknown> };
    enrichment.answer('abuseipdb', FIXTURE_IPS.malicious, { status: 200, body: { data: { ...clean.data, ipAddress: FIXTURE_IPS.malicious } } });
    try {
      clock.advance(1_000_000);
      writeCowrie(s.dataDir, '2026-11-12', [{ ip: FIXTURE_IPS.malicious, hits: 1 }]);
      const before = misp.requestCounts()['POST /tags/removeTagFromObject'] ?? 0;
      await run(s, clock);
      assert.deepEqual(tagsOf(), ['abuseipdb:confidence="none"'], 'the old verdict is gone, the new one is there');
      assert.equal((misp.requestCounts()['POST /tags/removeTagFromObject'] ?? 0) - before, 1);
      // Nothing changes any more: no further untagging.
      writeCowrie(s.dataDir, '2026-11-12', [{ ip: FIXTURE_IPS.malicious, hits: 1 }]);
      await run(s, clock);
      assert.equal((misp.requestCounts()['POST /tags/removeTagFromObject'] ?? 0) - before, 1);
      assert.deepEqual(tagsOf(), ['abuseipdb:confidence="none"']);
    } finally {
      enrichment.answer('abuseipdb', FIXTURE_IPS.malicious, undefined);
    }
  });

  it('PyMISP accepts the enrichment objects of a feed (strict templates, references inside the event)', async () => {
    const list = attackers(5);
    const s = scenario('feed', misp, enrichment, {
      OUTPUT: 'feed',
      MISP_FEED_DIR: join(work, 'feed', 'out'),
      VIRUSTOTAL_API_KEY: enrichment.keys.virustotal,
      VIRUSTOTAL_REQUESTS_PER_MINUTE: '0',
      ABUSEIPDB_API_KEY: enrichment.keys.abuseipdb,
      GREYNOISE_API_KEY: enrichment.keys.greynoise,
    });
    writeCowrie(s.dataDir, '2026-11-09', list);
    await run(s, clock);
    const verdict = checkFeedWithPyMisp(join(work, 'feed', 'out'));
    assert.deepEqual(verdict.problems, []);
    for (const template of ['virustotal-report', 'abuseipdb', 'greynoise-ip']) assert.ok((verdict.templates[template] ?? 0) >= 1, `${template} checked`);
    assert.ok(verdict.references >= 3);
    writeFileSync(join(work, 'feed', 'checked'), 'ok');
  });
});

describe('tpot2misp check with enrichment', () => {
  it('tries each enabled provider\'s key: a rejected one is a failure naming its variable', async () => {
    const enrichment = await startEnrichmentEmulator();
    try {
      const dataDir = join(work, 'check-data');
      mkdirSync(dataDir, { recursive: true });
      const result = await runCliAsync(['check', '--mode', 'files', '--output', 'feed'], {
        TPOT_DATA_DIR: dataDir,
        MISP_FEED_DIR: join(work, 'check-feed'),
        STATE_DB: join(work, 'check-state', 'state.db'),
        ENRICHMENT_ENABLED: 'true',
        VIRUSTOTAL_API_KEY: 'wrong-key',
        VIRUSTOTAL_URL: enrichment.baseUrls.virustotal,
        ABUSEIPDB_API_KEY: enrichment.keys.abuseipdb,
        ABUSEIPDB_URL: enrichment.baseUrls.abuseipdb,
      });
      assert.notEqual(result.status, 0, 'a rejected key fails the check');
      assert.match(result.stdout, /abuseipdb: key accepted/);
      assert.match(result.stdout, /virustotal: .*VIRUSTOTAL_API_KEY/);
      assert.ok(!result.stdout.includes('wrong-key') && !result.stderr.includes('wrong-key'), 'the key is never printed');
    } finally {
      await enrichment.close();
    }
  });
});

describe('enrichment in realtime mode', () => {
  it('a flush delivers the HPFEEDS sessions, then attaches what VirusTotal knows to the IP and to the downloaded file', async () => {
    const misp = await startMispEmulator();
    const clock = new TestClock();
    const enrichment = await startEnrichmentEmulator({ clock: () => clock.now() });
    const dir = join(work, 'realtime');
    mkdirSync(dir, { recursive: true });
    const { config } = loadConfig({
      env: {
        COLLECTION_MODE: 'realtime', HPFEEDS_HOST: '127.0.0.1', HPFEEDS_IDENT: 'tpot2misp', HPFEEDS_SECRET: 's', HPFEEDS_CHANNELS: 'cowrie.sessions',
        OUTPUT: 'misp', MISP_URL: misp.url, MISP_KEY: misp.apiKey, STATE_DB: join(dir, 'state.db'),
        VALIDATION_REPORT_DIR: join(dir, 'report'), VALIDATION_REPORT_FORMAT: 'json',
        ENRICHMENT_ENABLED: 'true', VIRUSTOTAL_API_KEY: enrichment.keys.virustotal, VIRUSTOTAL_URL: enrichment.baseUrls.virustotal, VIRUSTOTAL_REQUESTS_PER_MINUTE: '0',
      },
      envFile: join(dir, 'no.env'),
    });
    const state = StateStore.open(config.stateDb);
    const { log } = capturedLogger();
    const sink = createSink(config);
    const enricher = createEnricher(config, state, log, undefined, clock);
    try {
      const fixture = readFileSync(new URL('../../../shared/fixtures/hpfeeds/cowrie.sessions.jsonl', import.meta.url), 'utf8');
      state.appendOutbox(fixture.split('\n').filter((l) => l.trim() !== '').map((line) => ({ channel: 'cowrie.sessions', publisher: 'cowrie', payload: Buffer.from(line), receivedAt: clock.now() })));
      assert.ok(enricher);
      await runRealtime({ config, log, state, sink, build: buildSettings(config), ipPolicy: ipPolicy(config), drainOnly: true, stopSignal: new Promise(() => undefined), enricher });

      const event = misp.events().find((e) => e.date === '2024-05-01');
      assert.ok(event);
      const ip = ipAttribute(event, FIXTURE_IPS.malicious)!;
      assert.ok(ip.Tag.some((t) => t.name === 'virustotal:verdict="malicious"'));
      const file = event.Object.find((o) => o.name === 'file' && o.Attribute.some((a) => a.object_relation === 'sha256'))!;
      const sha256 = file.Attribute.find((a) => a.object_relation === 'sha256')!;
      assert.ok(sha256.Tag.some((t) => t.name === 'virustotal:verdict="malicious"'), 'the file\'s hash carries the verdict');
      const reports = event.Object.filter((o) => o.name === 'virustotal-report');
      assert.ok(reports.some((o) => o.ObjectReference.some((r) => r.referenced_uuid === file.uuid && r.referenced_type === '1')), 'a report attached to the file object');
      assert.ok(reports.some((o) => o.ObjectReference.some((r) => r.referenced_uuid === ip.uuid && r.referenced_type === '0')), 'a report attached to the IP');
      assert.ok(enrichment.lastRequest.virustotal !== undefined);
      assert.deepEqual(misp.specViolations, []);
      assert.deepEqual(misp.unreported, []);

      // Realtime mode keeps a validation report of the day too.
      const report = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as RunReportJson;
      assert.equal(report.mode, 'realtime');
      assert.equal(report.totals.records, fixture.split('\n').filter((l) => l.trim() !== '').length);
      assert.ok((report.enrichment?.['virustotal']?.found ?? 0) >= 2, 'the IP and the file were found');
    } finally {
      await enricher?.close();
      await sink.close();
      state.close();
      await enrichment.close();
      await misp.close();
    }
  });
});
