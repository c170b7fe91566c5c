import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCliAsync as runCli } from '../support/cli.js';
import { mispE2e } from '../support/misp-e2e.js';

const e2e = mispE2e('tpot2misp-e2e-misp-');
const { work } = e2e;

const UNIQUE_IPS = 20_000;
const BATCH = 500;

/** A Cowrie day with UNIQUE_IPS distinct attackers (two lines each) and a few logins/commands. */
function writeCowrieDay(dataDir: string): void {
  mkdirSync(join(dataDir, 'cowrie', 'log'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < UNIQUE_IPS; i++) {
    // 20,000 addresses spread over 2001:db8::/32 and 198.51.100.0/24.
    const ip = i < 250 ? `198.51.100.${i + 1}` : `2001:db8:${(i >> 8).toString(16)}::${(i & 0xff).toString(16)}`;
    const second = String(i % 60).padStart(2, '0');
    const minute = String(Math.floor(i / 60) % 60).padStart(2, '0');
    const hour = String(Math.floor(i / 3600) % 24).padStart(2, '0');
    const base = { src_ip: ip, session: `s${i.toString(16).padStart(11, '0')}`, protocol: 'ssh', sensor: 'c0ffee42ab17', timestamp: `2025-03-15T${hour}:${minute}:${second}.000000Z` };
    lines.push(JSON.stringify({ ...base, eventid: 'cowrie.session.connect', src_port: 40000, dst_ip: '172.18.0.4', dst_port: 22 }));
    if (i % 1000 === 0) lines.push(JSON.stringify({ ...base, eventid: 'cowrie.login.failed', username: 'root', password: `pw${i}` }));
    else lines.push(JSON.stringify({ ...base, eventid: 'cowrie.session.closed', duration: '1.0' }));
  }
  writeFileSync(join(dataDir, 'cowrie', 'log', 'cowrie.json'), `${lines.join('\n')}\n`);
}

describe('files → MISP REST API (emulated), end to end', () => {
  const dataDir = join(work, 'data');
  const stateDb = join(work, 'state.db');
  const args = ['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'misp', '--state-db', stateDb];
  const env = () => ({ MISP_URL: e2e.misp.url, MISP_KEY: e2e.misp.apiKey, MISP_BATCH_SIZE: String(BATCH), VALIDATION_REPORT_ENABLED: 'false', TPOT_HONEYPOTS: 'Cowrie' });

  it('puts 20,000 unique attackers into one event with a handful of batched requests', async () => {
    writeCowrieDay(dataDir);
    const result = await runCli(args, env());
    assert.equal(result.status, 0, result.stderr);
    const events = e2e.misp.events();
    assert.equal(events.length, 1);
    const event = events[0]!;
    assert.equal(event.info, 'T-Pot Cowrie attacks 2025-03-15');
    const ips = event.Attribute.filter((a) => a.type === 'ip-src').map((a) => a.value);
    assert.equal(ips.length, UNIQUE_IPS);
    assert.equal(new Set(ips).size, UNIQUE_IPS);
    const items = UNIQUE_IPS + event.Object.length;
    const writes = e2e.misp.writeRequests();
    assert.ok(writes <= 3 + Math.ceil(items / BATCH), `${writes} write requests for ${items} attributes and objects`);
    assert.deepEqual(e2e.misp.specViolations, []);
    assert.deepEqual(e2e.misp.unreported, []);
  });

  it('sends no write request at all when run again with no new data', async () => {
    const before = e2e.misp.writeRequests();
    const result = await runCli(args, env());
    assert.equal(result.status, 0, result.stderr);
    assert.equal(e2e.misp.writeRequests(), before);
  });

  it('converges without duplicates when the state file is lost', async () => {
    rmSync(stateDb, { force: true });
    rmSync(`${stateDb}-wal`, { force: true });
    rmSync(`${stateDb}-shm`, { force: true });
    const result = await runCli(args, env());
    assert.equal(result.status, 0, result.stderr);
    const event = e2e.misp.events()[0]!;
    const ips = event.Attribute.filter((a) => a.type === 'ip-src').map((a) => a.value);
    assert.equal(ips.length, UNIQUE_IPS);
    assert.equal(e2e.misp.events().length, 1);
    assert.deepEqual(e2e.misp.specViolations, []);
    assert.deepEqual(e2e.misp.unreported, []);
  });

  it('stops with one clear line when the key is wrong, and leaves the checkpoint where it was', async () => {
    const result = await runCli(args, { ...env(), MISP_KEY: 'x'.repeat(40) });
    // Nothing new to send, so nothing is even tried: add a line to force a delivery.
    assert.equal(result.status, 0);
    writeFileSync(join(dataDir, 'cowrie', 'log', 'cowrie.json'), `${JSON.stringify({ eventid: 'cowrie.session.connect', src_ip: '192.0.2.77', session: 'feed00000001', protocol: 'ssh', timestamp: '2025-03-15T23:00:00.000000Z' })}\n`, { flag: 'a' });
    const denied = await runCli(args, { ...env(), MISP_KEY: 'x'.repeat(40) });
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /T2M_MISP_AUTH/);
    assert.match(denied.stderr, /MISP_KEY/);
    assert.ok(!denied.stderr.includes('x'.repeat(40)), 'the key is never printed');
    const retried = await runCli(args, env());
    assert.equal(retried.status, 0, retried.stderr);
    const ips = e2e.misp.events()[0]!.Attribute.filter((a) => a.type === 'ip-src').map((a) => a.value);
    assert.ok(ips.includes('192.0.2.77'), 'the line that failed to deliver is sent by the next run');
  });
});
