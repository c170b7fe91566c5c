import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT, runCli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-e2e-feed-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface FeedAttribute { type: string; value: string }
interface FeedEvent { uuid: string; info: string; date: string; Tag: { name: string }[]; Attribute: FeedAttribute[]; Object: { name: string; Attribute: FeedAttribute[] }[] }

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

function events(dir: string): FeedEvent[] {
  return readdirSync(dir)
    .filter((name) => /^[0-9a-f-]{36}\.json$/.test(name))
    .map((name) => (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { Event: FeedEvent }).Event);
}

function run(dataDir: string, feedDir: string, stateDb: string, env: Record<string, string> = {}): void {
  const result = runCli(['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'feed', '--feed-dir', feedDir, '--state-db', stateDb], {
    VALIDATION_REPORT_DIR: join(work, 'report'),
    ...env,
  });
  assert.equal(result.status, 0, `tpot2misp failed:\n${result.stderr}\n${result.stdout}`);
}

const PRIVATE = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|127\.|169\.254\.|fe80:|fc|fd|::1$)/i;
const SENSOR = new Set(['203.0.113.10', '10.20.0.5']);

describe('files → feed, end to end on the bundled T-Pot data directory', () => {
  const dataDir = join(work, 'data');
  cpSync(join(PROJECT_ROOT, 'examples', 'tpot-data'), dataDir, { recursive: true });
  const feedDir = join(work, 'feed');
  const stateDb = join(work, 'state', 'state.db');

  it('writes one event per (honeypot, day) with every valid attacker IP exactly once, even far from UTC', () => {
    run(dataDir, feedDir, stateDb, { TZ: 'Pacific/Kiritimati' });
    const all = events(feedDir);
    assert.ok(all.length >= 25, `expected an event for nearly every honeypot, got ${all.length}`);
    const keys = all.map((e) => `${e.Tag.find((t) => t.name.startsWith('tpot:honeypot='))?.name}|${e.date}`);
    assert.equal(new Set(keys).size, keys.length, 'one event per honeypot and day');
    for (const event of all) {
      assert.ok(!event.Tag.some((t) => t.name === 'tpot:honeypot="NGINX"'), 'nothing from NGINX');
      assert.match(event.info, /^T-Pot \S+ attacks \d{4}-\d{2}-\d{2}$/);
      assert.equal(event.info.slice(-10), event.date);
      const ips = event.Attribute.filter((a) => a.type === 'ip-src').map((a) => a.value);
      assert.ok(ips.length > 0, `${event.info} has attacker IPs`);
      assert.equal(new Set(ips).size, ips.length, `${event.info}: each IP once`);
      for (const ip of ips) {
        assert.ok(!PRIVATE.test(ip), `${event.info}: private address ${ip}`);
        assert.ok(!SENSOR.has(ip), `${event.info}: sensor address ${ip}`);
      }
    }
    const cowrie = all.find((e) => e.info === 'T-Pot Cowrie attacks 2025-03-14');
    assert.ok(cowrie, 'the Cowrie event is dated by the attack day in UTC');
    assert.ok(cowrie.Attribute.some((a) => a.type === 'ip-src' && a.value === '198.51.100.23'));
    assert.ok(!cowrie.Attribute.some((a) => a.value === '10.13.37.5'), 'the private Cowrie source is left out');
    const report = JSON.parse(readFileSync(join(work, 'report', 'report.json'), 'utf8'));
    assert.equal(report.skipped.NGINX, undefined, 'T-Pot\'s own NGINX log is not even read');
    assert.ok(report.skipped.P0f?.nsm_context >= 1, 'P0f is recognised and skipped');
  });

  it('gives the same files in UTC as in a zone 14 hours ahead', () => {
    const utcFeed = join(work, 'feed-utc');
    run(dataDir, utcFeed, join(work, 'state-utc', 'state.db'), { TZ: 'UTC' });
    assert.deepEqual(snapshot(utcFeed), snapshot(feedDir));
  });

  it('leaves every file byte-identical when run again', () => {
    const before = snapshot(feedDir);
    run(dataDir, feedDir, stateDb);
    assert.deepEqual(snapshot(feedDir), before);
  });

  it('leaves every file byte-identical when run again after the state file was deleted', () => {
    const before = snapshot(feedDir);
    rmSync(join(work, 'state'), { recursive: true, force: true });
    run(dataDir, feedDir, stateDb);
    assert.deepEqual(snapshot(feedDir), before);
  });

  it('adds only what is new when the logs grow, without duplicating anything', () => {
    const cowrieLog = join(dataDir, 'cowrie', 'log', 'cowrie.json');
    const line = {
      eventid: 'cowrie.session.connect', src_ip: '192.0.2.201', src_port: 40000, dst_ip: '172.18.0.4', dst_port: 22,
      session: 'feedbeef0001', protocol: 'ssh', sensor: 'c0ffee42ab17', timestamp: '2025-03-14T22:00:00.000000Z', message: 'New connection',
    };
    writeFileSync(cowrieLog, `${readFileSync(cowrieLog, 'utf8')}${JSON.stringify(line)}\n`);
    run(dataDir, feedDir, stateDb);
    const cowrie = events(feedDir).find((e) => e.info === 'T-Pot Cowrie attacks 2025-03-14')!;
    const ips = cowrie.Attribute.filter((a) => a.type === 'ip-src').map((a) => a.value);
    assert.ok(ips.includes('192.0.2.201'));
    assert.equal(new Set(ips).size, ips.length);
  });

  it('skips and counts hostile documents and completes the run', () => {
    const hostileDir = join(work, 'hostile');
    mkdirSync(join(hostileDir, 'cowrie', 'log'), { recursive: true });
    const base = { eventid: 'cowrie.command.input', session: 'abad1dea0001', protocol: 'ssh', timestamp: '2025-03-14T10:00:00.000000Z' };
    const lines = [
      { ...base, src_ip: '198.51.100.66', input: `echo ${'A'.repeat(10 * 1024 * 1024)}` },
      { ...base, src_ip: '198.51.100.67', input: 'echo \u0000\u001b[2J\r\n<script>alert(1)</script>\u2028' },
      { ...base, src_ip: { a: 1 }, input: 'id' },
      { ...base, src_ip: '198.51.100.68', input: ['not', 'a', 'string'], timestamp: { evil: true } },
    ];
    writeFileSync(join(hostileDir, 'cowrie', 'log', 'cowrie.json'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"truncated": \n`);
    const out = join(work, 'hostile-feed');
    run(hostileDir, out, join(work, 'hostile-state.db'), { VALIDATION_REPORT_DIR: join(work, 'hostile-report') });
    const report = JSON.parse(readFileSync(join(work, 'hostile-report', 'report.json'), 'utf8'));
    assert.equal(report.skipped.Cowrie.document_too_large, 1, 'the 10 MB line');
    assert.equal(report.skipped.Cowrie.invalid_src_ip, 1, 'src_ip as an object');
    assert.equal(report.skipped.Cowrie.no_timestamp, 1, 'a timestamp that is not a time');
    assert.equal(report.skipped.Cowrie.malformed, 1, 'a truncated JSON line');
    const cowrie = events(out).find((e) => e.info.startsWith('T-Pot Cowrie'))!;
    const inputs = cowrie.Object.flatMap((o) => o.Attribute.filter((a) => a.type === 'text').map((a) => a.value));
    assert.ok(inputs.includes('echo \u0000\u001b[2J\r\n<script>alert(1)</script>\u2028'), 'attacker text kept verbatim as data');
  });
});
