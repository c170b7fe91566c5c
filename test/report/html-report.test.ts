/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { originOf } from '../../src/honeypots/common-event.js';
import { renderHtmlReport } from '../../src/report-html.js';
import { RunReport } from '../../src/report.js';
import { runCli } from '../support/cli.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const work = mkdtempSync(join(tmpdir(), 'tpot2misp-html-'));

// Attacker-written strings aimed at the report: script tags, event handlers, SVG breakouts, control characters.
const HOSTILE = {
  username: '<script>window.__pwned=1</script>',
  password: '"><img src=x onerror="window.__pwned=2">',
  command: '</text></svg><script>window.__pwned=3</script>\u001b[31m',
  path: "/'><svg/onload=window.__pwned=4>",
};

function writeHostileData(dataDir: string): void {
  mkdirSync(join(dataDir, 'cowrie', 'log'), { recursive: true });
  const lines = [];
  for (let i = 0; i < 12; i++) {
    const base = { src_ip: `198.51.100.${i + 1}`, session: `aaaabbbbcc${String(i).padStart(2, '0')}`, protocol: 'ssh', sensor: 's', timestamp: `2025-03-1${i % 3}T10:00:0${i % 10}.000000Z` };
    lines.push({ ...base, eventid: 'cowrie.session.connect', src_port: 4000 + i, dst_ip: '172.18.0.2', dst_port: 22 });
    lines.push({ ...base, eventid: 'cowrie.login.failed', username: HOSTILE.username, password: HOSTILE.password });
    lines.push({ ...base, eventid: 'cowrie.command.input', input: HOSTILE.command });
  }
  writeFileSync(join(dataDir, 'cowrie', 'log', 'cowrie.json'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  mkdirSync(join(dataDir, 'tanner', 'log'), { recursive: true });
  writeFileSync(join(dataDir, 'tanner', 'log', 'tanner_report.json'), `${JSON.stringify({ method: 'GET', path: HOSTILE.path, headers: { 'user-agent': HOSTILE.username }, uuid: 'u', peer: { ip: '203.0.113.77', port: 4444 }, status: 200, timestamp: '2025-03-10T11:00:00.000000' })}\n`);
}

describe('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let reportFile: string;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)`);
    const dataDir = join(work, 'data');
    writeHostileData(dataDir);
    const reportDir = join(work, 'report');
    const result = runCli(['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'feed', '--feed-dir', join(work, 'feed'), '--state-db', join(work, 'state.db')], {
      VALIDATION_REPORT_DIR: reportDir,
      VALIDATION_REPORT_FORMAT: 'json,html',
    });
    assert.equal(result.status, 0, result.stderr);
    reportFile = join(reportDir, 'report.html');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });
  after(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is one self-contained file with no script and nothing fetched from elsewhere', () => {
    const html = readFileSync(reportFile, 'utf8');
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /\bsrc=["']?https?:|@import|url\(/i);
    assert.ok(!html.includes(HOSTILE.password), 'attacker markup appears only escaped');
  });

  it('runs no script from the data, and shows the hostile strings as plain text', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(reportFile).href);
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.evaluate(() => document.querySelectorAll('script, img, iframe, object, embed').length), 0);
    const text = await page.evaluate(() => document.documentElement.textContent ?? '');
    assert.ok(text.includes('<script>window.__pwned=1</script>'), 'the username is displayed as text');
    assert.ok(text.includes('\\u001b[31m'), 'control characters are shown, not emitted');
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'nothing is fetched');
    await page.close();
  });

  it('draws the charts (bars in the DOM, a screenshot that is not blank)', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(pathToFileURL(reportFile).href);
    const charts = await page.evaluate(() => [...document.querySelectorAll('svg.chart')].map((svg) => ({
      label: svg.getAttribute('aria-label'),
      bars: [...svg.querySelectorAll('rect.bar')].filter((r) => r.getBoundingClientRect().width > 0).length,
    })));
    const bars = Object.fromEntries(charts.map((c) => [c.label, c.bars]));
    assert.equal(bars['Attacks per honeypot and day'], 4, JSON.stringify(bars));
    assert.ok((bars['Top attacker IPs (hits)'] ?? 0) >= 10);
    assert.equal(bars['Top credentials tried (username / password)'], 1);
    assert.equal(bars['Top commands'], 1);
    const png = await page.screenshot();
    // A blank 1280×1000 page compresses to a few KB; charts, text and colours do not.
    assert.ok(png.length > 30_000, `screenshot of ${png.length} bytes looks blank`);
    const colours = await page.evaluate(() => new Set([...document.querySelectorAll('rect.bar')].map((r) => r.getAttribute('fill'))).size);
    assert.ok(colours >= 3, 'several honeypots and charts in distinct colours');
    await page.close();
  });

  it('charts countries and networks, with hostile AS names shown as text', async () => {
    const report = new RunReport({ mode: 'batch', output: 'misp', source: 'es', sink: 'misp:x' });
    const origins = [
      { country_code2: 'CN', asn: 4134, as_org: '<script>window.__pwned=5</script>' },
      { country_code2: 'CN', asn: 4134, as_org: 'ignored: the first name seen is kept' },
      { country_code2: 'us', asn: 14061, as_org: 'DIGITALOCEAN-ASN\u0000\u001b[2J' },
      { country_code2: '<b>', asn: -1 },
    ];
    for (const geoip of origins) report.origin(originOf({ geoip }));
    const file = join(work, 'origins.html');
    writeFileSync(file, renderHtmlReport(report.toJson()));
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    const bars = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('svg.chart')].map((svg) => [svg.getAttribute('aria-label'), [...svg.querySelectorAll('text.label')].map((t) => t.textContent)])));
    assert.deepEqual(bars['Top attacker countries (attacks)'], ['CN China', 'US United States']);
    assert.deepEqual(bars['Top attacker networks (ASN, attacks)'], ['AS4134 <script>window.__pwned=5</script>', 'AS14061 DIGITALOCEAN-ASN  [2J']);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    await page.close();
  });
});
