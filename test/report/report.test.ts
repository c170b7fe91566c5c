import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { DailyBucket } from '../../src/aggregate.js';
import { AttackerIpPolicy } from '../../src/attacker-ip-policy.js';
import { extractIndicators, type Indicator, type Observation } from '../../src/indicators.js';
import { loadConfig } from '../../src/config.js';
import { escapeHtml, renderHtmlReport } from '../../src/report-html.js';
import { RunReport, TOP_COUNTERS, type TopEntry } from '../../src/report.js';
import { SpaceSaving } from '../../src/top-values.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-report-'));
after(() => rmSync(work, { recursive: true, force: true }));

const T0 = Date.UTC(2025, 2, 10, 12);
const ip = (value: string): Indicator => ({ kind: 'attribute', type: 'ip-src', category: 'Network activity', value, toIds: true });
const login = (username: string, password: string): Indicator => ({
  kind: 'object',
  template: 'cowrie',
  key: `${username}|${password}`,
  unit: 'attempts',
  attributes: [
    { relation: 'username', type: 'text', category: 'Other', value: username, toIds: false },
    { relation: 'password', type: 'text', category: 'Other', value: password, toIds: false },
  ],
});
const command = (input: string): Indicator => ({
  kind: 'object',
  template: 'cowrie',
  key: `cmd|${input}`,
  unit: 'commands',
  attributes: [{ relation: 'input', type: 'text', category: 'Other', value: input, toIds: false }],
});
const observation = (indicators: Indicator[]): Observation => ({ srcIp: '198.51.100.1', indicators, dropped: [] });

/** A bucket in which each [indicator, hits] pair was seen that many times. */
function bucket(honeypot: 'Cowrie' | 'Dionaea', day: string, seen: readonly (readonly [Indicator, number])[]): DailyBucket {
  const b = new DailyBucket(honeypot, day);
  for (const [indicator, hits] of seen) for (let i = 0; i < hits; i++) b.add(observation([indicator]), T0);
  return b;
}

/** Counts parts the way the pipeline does: each part in a scratch report, absorbed once committed. */
function reportOf(parts: readonly (readonly DailyBucket[])[], meta: { mispUrl?: string } = {}): RunReport {
  const report = new RunReport({ mode: 'files', output: 'feed', source: 'files:/data', sink: 'feed:/out', ...meta });
  for (const part of parts) {
    const scratch = report.scratch();
    for (const b of part) scratch.aggregated(b);
    report.absorb(scratch);
  }
  return report;
}

const find = (entries: readonly TopEntry[], value: string) => entries.find((e) => e.value === value);

describe('the report\'s top lists', () => {
  it('count every hit of an attacker IP across honeypots, days and parts: the figures and ranks shown are exact', () => {
    // Cowrie: fifteen IPs with 10 hits and X with 9 (16th there); Dionaea: X again with 9. X has 18 hits in all and
    // is the most active attacker. Then a second part adds more distinct IPs than the report used to hold.
    const busy = Array.from({ length: 15 }, (_, i) => [ip(`203.0.113.${i + 1}`), 10] as const);
    const X = '198.51.100.77';
    const first = [bucket('Cowrie', '2025-03-10', [...busy, [ip(X), 9]]), bucket('Dionaea', '2025-03-10', [[ip(X), 9], [ip('192.0.2.1'), 1]])];
    const many = Array.from({ length: 200 }, (_, i) => [ip(`192.0.2.${(i % 250) + 2}-${i}`), 1] as const);
    const second = [bucket('Cowrie', '2025-03-11', [...many, [ip(X), 2]])];
    const json = reportOf([first, second]).toJson();
    assert.deepEqual(json.top.ips[0], { value: X, count: 20 });
    assert.equal(find(json.top.ips, '203.0.113.1')?.count, 10);
    assert.equal(json.top.ips.length, 15);
    assert.deepEqual(json.topAccuracy.ips, { exact: true, hits: 20 + 150 + 1 + 200, counters: TOP_COUNTERS, maxError: 0 });
    const text = reportOf([first, second]).toText();
    assert.match(text, new RegExp(`^IPs \\(hits, exact\\): ${X.replace(/\./g, '\\.')} \\(20\\), `, 'm'));
  });

  it('count credentials and commands over every bucket too, and show them in the text report', () => {
    const parts = [
      [bucket('Cowrie', '2025-03-10', [[login('root', 'admin'), 3], [command('uname -a'), 2]])],
      [bucket('Cowrie', '2025-03-10', [[login('root', 'admin'), 4], [command('uname -a'), 5]]), bucket('Cowrie', '2025-03-11', [[login('root', 'admin'), 1]])],
    ];
    const report = reportOf(parts);
    const json = report.toJson();
    assert.deepEqual(json.top.credentials, [{ value: 'root / admin', count: 8 }]);
    assert.deepEqual(json.top.commands, [{ value: 'uname -a', count: 7 }]);
    const text = report.toText(json);
    assert.match(text, /^credentials \(username \/ password: hits, exact\): root \/ admin \(8\)$/m);
    assert.match(text, /^commands \(hits, exact\): uname -a \(7\)$/m);
  });

  it('tells a login with an empty password from one that logged none', () => {
    const tried = (password: string | undefined) => {
      const o = extractIndicators({ honeypot: 'Dionaea', time: T0, srcIp: '198.51.100.5', credentials: [{ username: 'sa', password }] }, new AttackerIpPolicy());
      assert.ok(!('skip' in o));
      return o.indicators.find((i) => i.kind === 'object')!;
    };
    const json = reportOf([[bucket('Dionaea', '2025-03-10', [[tried(''), 3], [tried(undefined), 1]])]]).toJson();
    assert.deepEqual(json.top.credentials, [{ value: 'sa / (empty)', count: 3 }, { value: 'sa / ', count: 1 }]);
  });

  it('beyond the values it can track, labels its figures as ranges whose bounds hold, in every format', () => {
    // 3 heavy attackers among many more distinct one-hit IPs than the report tracks, spread over 4 parts.
    const heavy = new Map([['203.0.113.1', 4000], ['203.0.113.2', 2500], ['203.0.113.3', 1200]]);
    const truth = new Map(heavy);
    const parts: DailyBucket[][] = [];
    for (let p = 0; p < 4; p++) {
      const seen: (readonly [Indicator, number])[] = [...heavy].map(([v, n]) => [ip(v), n / 4] as const);
      for (let i = 0; i < TOP_COUNTERS; i++) {
        const value = `10.${p}.${i >> 8}.${i & 255}`;
        seen.push([ip(value), 1]);
        truth.set(value, 1);
      }
      parts.push([bucket('Cowrie', '2025-03-10', seen)]);
    }
    const report = reportOf(parts);
    const json = report.toJson();
    assert.equal(json.topAccuracy.ips.exact, false);
    assert.equal(json.topAccuracy.ips.hits, [...truth.values()].reduce((a, b) => a + b, 0));
    assert.deepEqual(json.top.ips.slice(0, 3).map((e) => e.value), [...heavy.keys()], 'the heavy hitters, in order');
    const bound = json.topAccuracy.ips.hits / json.topAccuracy.ips.counters;
    for (const entry of json.top.ips) {
      const actual = truth.get(entry.value)!;
      const error = entry.error ?? 0;
      assert.ok(entry.count - error <= actual && actual <= entry.count, `${entry.value}: ${actual} not in ${entry.count - error}–${entry.count}`);
      assert.ok(error <= bound, `${entry.value}: error ${error} > ${bound}`);
    }
    assert.equal(json.topAccuracy.ips.maxError, Math.max(...json.top.ips.map((e) => e.error ?? 0)));
    assert.ok(json.top.ips.slice(0, 3).every((e) => (e.error ?? 0) <= bound));
    const text = report.toText(json);
    assert.match(text, /^IPs \(hits, approximate: more than 1,000 distinct IPs, so each figure is a range "at least–at most" \(off by at most \d+ hits\)\): 203\.0\.113\.1 \(/m);
    const html = renderHtmlReport(json);
    assert.match(html, /<h2>Top attacker IPs \(hits\)<\/h2><p class="note">Approximate: this run saw more than 1,000 distinct IPs/);
    assert.doesNotMatch(html, /<h2>Top commands<\/h2><p class="note">/, 'exact lists carry no caption');
  });

  it('Space-Saving keeps true counts within [count − error, count] (error ≤ total ÷ capacity), merged or not', () => {
    const stream = fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 20 })), { maxLength: 400 });
    fc.assert(
      fc.property(stream, stream, fc.integer({ min: 1, max: 25 }), (a, b, capacity) => {
        const truth = new Map<string, number>();
        const left = new SpaceSaving(capacity);
        const right = new SpaceSaving(capacity);
        for (const [side, updates] of [[left, a], [right, b]] as const) {
          for (const [key, weight] of updates) {
            side.add(`v${key}`, weight);
            truth.set(`v${key}`, (truth.get(`v${key}`) ?? 0) + weight);
          }
        }
        const leftTotal = left.total;
        for (const e of left.top(capacity)) assert.ok((e.error ?? 0) <= leftTotal / capacity, 'error ≤ total ÷ capacity');
        left.merge(right);
        const total = [...truth.values()].reduce((x, y) => x + y, 0);
        assert.equal(left.total, total);
        const entries = left.top(capacity);
        for (const e of entries) {
          const actual = truth.get(e.value)!;
          assert.ok(e.count - (e.error ?? 0) <= actual && actual <= e.count, `${e.value}: ${actual} vs ${e.count}±${e.error ?? 0}`);
          if (left.exact) assert.equal(e.error, undefined);
        }
        // Without evictions the counts are the exact truth.
        if (left.exact) assert.deepEqual(new Map(entries.map((e) => [e.value, e.count])), new Map([...truth].filter(([v]) => entries.some((e) => e.value === v))));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the report\'s indicator counts', () => {
  it('say they are exact unique values for data read in one part, and how they add up over several', () => {
    const one = reportOf([[bucket('Cowrie', '2025-03-10', [[ip('203.0.113.1'), 3], [ip('203.0.113.2'), 1]])]]);
    assert.deepEqual(one.toJson().buckets[0]!.indicators, { 'ip-src': 2 });
    assert.equal(one.toJson().buckets[0]!.parts, 1);
    assert.match(one.toText(), /^ {4}indicators \(unique values\): ip-src=2$/m);
    assert.match(renderHtmlReport(one.toJson()), /<p class="note">Indicators: unique values\.<\/p>/);
    // The same IP in three parts of the run: counted once per part, and the report says so.
    const three = reportOf([1, 2, 3].map(() => [bucket('Cowrie', '2025-03-10', [[ip('203.0.113.1'), 1]])]));
    const json = three.toJson();
    assert.deepEqual(json.buckets[0]!.indicators, { 'ip-src': 3 });
    assert.equal(json.buckets[0]!.parts, 3);
    assert.match(three.toText(json), /^ {4}indicators \(unique values per part, added over 3 parts: a value seen in several parts counts once in each\): ip-src=3$/m);
    const html = renderHtmlReport(json);
    assert.match(html, /ip-src 3 <span class="note">\(added over 3 parts\*\)<\/span>/);
    assert.match(html, /a value seen in several parts counts once in each, so these figures can exceed the unique values/);
  });
});

describe('attacker text in the report', () => {
  const HIDDEN = ['\u061c', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff', '\u2028', '\u2029', '\u00ad', '\u2060'];
  const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

  it('shows bidirectional and invisible characters escaped, in the text and the HTML report', () => {
    // "root\u202egnp.exe" would display as "rootexe.png".
    const report = reportOf([[bucket('Cowrie', '2025-03-10', [[login('root\u202egnp.exe', 'pw'), 2], [command('ls\u200b -la\u2066x\u2069'), 1], [ip('203.0.113.9'), 1]])]]);
    const json = report.toJson();
    const text = report.toText(json);
    const html = renderHtmlReport(json);
    for (const out of [text, html]) {
      assert.ok(out.includes('root\\u202egnp.exe / pw'), 'the override is shown, not applied');
      assert.ok(out.includes('ls\\u200b -la\\u2066x\\u2069'));
      assert.doesNotMatch(out, /[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u2028\u2029]/);
    }
    for (const c of HIDDEN) {
      assert.equal(escapeHtml(`a${c}b`), `a${escaped(c)}b`, escaped(c));
      const one = reportOf([[bucket('Cowrie', '2025-03-10', [[command(`a${c}b`), 1]])]]);
      assert.ok(one.toText().includes(`a${escaped(c)}b`), escaped(c));
    }
    // Ordinary text, accents and other scripts are left alone.
    assert.equal(escapeHtml('café Ωμέγα 攻撃 مرحبا'), 'café Ωμέγα 攻撃 مرحبا');
  });
});

describe('a MISP_URL with a password', () => {
  it('never reaches report.json, report.txt or report.html (links carry no credentials)', () => {
    const secret = 'S3cret-in-url';
    const { config } = loadConfig({ env: { COLLECTION_MODE: 'files', OUTPUT: 'misp', MISP_URL: `https://admin:${secret}@misp.example.org/base/`, MISP_KEY: 'A'.repeat(40) }, envFile: join(work, 'absent.env') });
    const report = RunReport.forRun(config, 'files:/data', 'misp:https://misp.example.org/base');
    const scratch = report.scratch();
    const b = bucket('Cowrie', '2025-03-10', [[ip('203.0.113.1'), 1]]);
    scratch.aggregated(b);
    report.absorb(scratch);
    report.delivered({ honeypot: 'Cowrie', day: '2025-03-10', event: { uuid: '5f0c2c1e-0000-5000-8000-000000000001' } } as unknown as Parameters<RunReport['delivered']>[0], {
      eventCreated: true, attributesAdded: 1, attributesUpdated: 0, objectsAdded: 0, objectsUpdated: 0, alreadyPresent: 0, rejected: [],
    } as unknown as Parameters<RunReport['delivered']>[1]);
    assert.equal(report.toJson().mispUrl, 'https://admin:***@misp.example.org/base/');
    const dir = join(work, 'url-report');
    report.write(dir, ['txt', 'json', 'html']);
    assert.deepEqual(readdirSync(dir).sort(), ['report.html', 'report.json', 'report.txt']);
    for (const name of readdirSync(dir)) assert.ok(!readFileSync(join(dir, name), 'utf8').includes(secret), name);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.ok(html.includes('<a href="https://misp.example.org/base/events/view/5f0c2c1e-0000-5000-8000-000000000001">'), 'the link works without credentials');
    assert.doesNotMatch(html, /href="[^"]*@/);
  });
});
