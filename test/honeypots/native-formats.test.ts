// The native log formats T-Pot really writes for Ciscoasa, CitrixHoneypot, Glutton, Galah and Honeyaml (checked
// against the pinned upstream sources), read in files mode, and the Elasticsearch documents Logstash makes of them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isSkip, type AttackEvent, type NormalizeResult } from '../../src/attack-event.js';
import type { Doc } from '../../src/honeypots/fields.js';
import { honeypotFor } from '../../src/honeypots/registry.js';
import { createFilesSource } from '../../src/sources/files.js';
import type { SourceRecord } from '../../src/sources/source.js';

const FIXTURES = new URL('../fixtures/tpot/', import.meta.url);
const root = mkdtempSync(join(tmpdir(), 'tpot2misp-native-'));
after(() => rmSync(root, { recursive: true, force: true }));

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

function esDocs(name: string): Doc[] {
  return fixture(name).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Doc);
}

const attacks = (results: NormalizeResult[]): AttackEvent[] => results.filter((r): r is AttackEvent => !isSkip(r));

/** Writes `text` where T-Pot keeps the type's log and reads it with the files source, as the pipeline does. */
async function readNative(type: string, text: string): Promise<{ records: SourceRecord[]; results: NormalizeResult[] }> {
  const module = honeypotFor(type)!;
  const dataDir = mkdtempSync(join(root, 'data-'));
  const relPath = module.logs[0]!.path;
  mkdirSync(join(dataDir, relPath, '..'), { recursive: true });
  writeFileSync(join(dataDir, relPath), text);
  const source = createFilesSource({ dataDir, honeypots: [module], batchSize: 100, sensor: { extIp: '203.0.113.10', intIp: '10.20.0.5' } });
  const records: SourceRecord[] = [];
  for await (const batch of source.batches(undefined)) records.push(...batch.records);
  await source.close();
  const results = records.flatMap((r) => ('doc' in r ? [module.normalize(r.doc)] : []));
  return { records, results };
}

const skips = (records: SourceRecord[]) => records.flatMap((r) => ('skip' in r ? [r.skip] : []));
/** What an attack says, minus the fields only one of the two sources knows (sensor addresses, GeoIP). */
const gist = (e: AttackEvent) => JSON.stringify([e.srcIp, e.time, e.srcPort, e.destPort, e.transport, e.protocol, e.session, e.requests, e.userAgents, e.credentials]);

describe('Ciscoasa: Python dict reprs in ciscoasa.log', () => {
  it('files mode parses the dict-repr lines asa_server writes, skipping start-up and traceback lines', async () => {
    const { records, results } = await readNative('Ciscoasa', fixture('ciscoasa.log.txt'));
    assert.deepEqual(skips(records), ['not_an_attack', 'not_an_attack', 'not_an_attack', 'not_an_attack']);
    const events = attacks(results);
    assert.equal(events.length, 8);
    const [get] = events;
    assert.equal(get?.srcIp, '192.0.2.45');
    assert.equal(get?.time, Date.parse('2025-03-14T17:00:00.123Z'), 'a naive time is UTC');
    assert.deepEqual(get?.requests, [{ method: 'GET', path: '/+CSCOE+/logon.html' }]);
    assert.deepEqual([get?.transport, get?.protocol, get?.destPort], ['tcp', 'https', 8443]);
    assert.deepEqual(events[5]?.requests, [{ method: 'GET', path: '/+CSCOT+/translation-table?type=mst&textdomain=/%2bCSCOE%2b/portal_inc.lua&default-language&lang=../' }]);
    assert.equal(events[3]?.time, Date.parse('2025-03-14T17:03:00Z'), 'isoformat() leaves out zero microseconds');
  });

  it('an IKE alert (a list of bytes reprs) is ike on udp/5000; a host-scan-reply alert is an HTTPS POST on tcp/8443', async () => {
    const events = attacks((await readNative('Ciscoasa', fixture('ciscoasa.log.txt'))).results);
    const ike = events.find((e) => e.srcIp === '198.51.100.200');
    assert.deepEqual([ike?.transport, ike?.destPort, ike?.protocol, ike?.srcPort, ike?.requests], ['udp', 5000, 'ike', 500, undefined]);
    const exploit = events.find((e) => e.srcPort === 51234);
    assert.deepEqual([exploit?.srcIp, exploit?.transport, exploit?.destPort, exploit?.protocol], ['203.0.113.150', 'tcp', 8443, 'https']);
    assert.equal(events.filter((e) => e.protocol === 'ike').length, 1, 'nothing else is called IKE');
  });

  it('the request text is not escaped in the line: a quote in it neither ends the payload nor adds a src_ip', async () => {
    const events = attacks((await readNative('Ciscoasa', fixture('ciscoasa.log.txt'))).results);
    const injected = events.filter((e) => e.srcIp === '192.0.2.99');
    assert.equal(injected.length, 2);
    assert.deepEqual(injected[1]?.requests, [{ method: 'GET', path: "/x','src_ip':'203.0.113.66'" }]);
    assert.equal(injected[0]?.requests, undefined, 'an error line ("code 400, message …") names no request');
    assert.ok(!events.some((e) => e.srcIp === '203.0.113.66'));
  });

  it('Elasticsearch documents (after Logstash kv, `message` kept) give the same attacks as the files', async () => {
    const native = attacks((await readNative('Ciscoasa', fixture('ciscoasa.log.txt'))).results);
    const module = honeypotFor('Ciscoasa')!;
    const es = attacks(esDocs('ciscoasa.es.jsonl').map((d) => module.normalize(d)));
    assert.deepEqual(es.map(gist), native.map(gist));
  });

  it('Elasticsearch documents without `message` fall back on the kv fields', () => {
    const module = honeypotFor('Ciscoasa')!;
    const withoutMessage = esDocs('ciscoasa.es.jsonl').map(({ message: _message, ...rest }) => rest);
    const events = attacks(withoutMessage.map((d) => module.normalize(d)));
    assert.deepEqual(events[0]?.requests, [{ method: 'GET', path: '/+CSCOE+/logon.html' }]);
    const ike = events.find((e) => e.srcIp === '198.51.100.200');
    assert.deepEqual([ike?.transport, ike?.destPort, ike?.protocol, ike?.srcPort], ['udp', 5000, 'ike', 500]);
    const exploit = events.find((e) => e.srcPort === 51234);
    assert.deepEqual([exploit?.transport, exploit?.destPort, exploit?.protocol], ['tcp', 8443, 'https']);
  });

  it('hostile and truncated lines never throw and yield no attacker', () => {
    const module = honeypotFor('Ciscoasa')!;
    const lines = [
      "{'timestamp': '2025-03-14T17:00:00', 'src_ip': '192.0.2.1', 'payload_printable': ",
      "{'timestamp': '2025-03-14T17:00:00', 'src_ip': ",
      "{'src_ip': '" + "1".repeat(100_000),
      "{'timestamp': '2025-03-14T17:00:00', 'src_port': " + '9'.repeat(50) + ", 'src_ip': '192.0.2.1', 'payload_printable': [b'\\x00']}",
      '{' + "'a': 1, ".repeat(20_000) + '}',
      "{'" + "\\'".repeat(50_000),
      "{'timestamp': '2025-03-14T17:00:00', 'src_ip': '192.0.2.1', 'payload_printable': [" + "b'x', ".repeat(20_000),
    ];
    for (const message of lines) {
      const started = performance.now();
      assert.doesNotThrow(() => module.fromNative({ message }, module.logs[0]!.path));
      assert.doesNotThrow(() => module.normalize({ type: 'Ciscoasa', '@timestamp': '2025-03-14T17:00:00Z', message }));
      assert.ok(performance.now() - started < 500, `linear time for ${message.slice(0, 40)}`);
    }
    assert.equal(module.fromNative({ message: lines[1]! }, module.logs[0]!.path), undefined);
  });
});

describe('CitrixHoneypot: "(ip:port): …" messages in JSON lines', () => {
  it('files mode reads the JSON lines, takes GET/POST Header paths as requests, drops the start-up line', async () => {
    const { records, results } = await readNative('CitrixHoneypot', fixture('citrixhoneypot.log.jsonl'));
    assert.deepEqual(skips(records), ['not_an_attack'], 'the start-up line: grok fails, Logstash drops it');
    const events = attacks(results);
    assert.equal(events.length, 9);
    assert.ok(events.every((e) => e.destPort === 443 && e.protocol === 'https' && e.transport === 'tcp'));
    assert.deepEqual(events[0]?.requests, [{ method: 'GET', path: '/vpn/../vpns/cfg/smb.conf' }]);
    assert.deepEqual([events[0]?.srcIp, events[0]?.srcPort, events[0]?.time], ['192.0.2.61', 43110, Date.parse('2025-03-14T07:00:00.000Z')]);
    assert.deepEqual(events[2]?.requests, [{ method: 'POST', path: '/vpn/../vpns/portal/scripts/newbm.pl' }]);
    // Like grok's UNIXPATH, the path ends where the query begins.
    assert.deepEqual(events[5]?.requests, [{ method: 'GET', path: '/vpn/../vpns/portal/tips.html' }]);
    const withRequests = events.filter((e) => e.requests !== undefined).length;
    assert.equal(withRequests, 4, 'a POST body, "Detected …" and "Error: …" lines are no requests');
  });

  it('Elasticsearch documents (after grok: http.http_method, fileinfo.state, fileinfo.filename) give the same attacks', async () => {
    const native = attacks((await readNative('CitrixHoneypot', fixture('citrixhoneypot.log.jsonl'))).results);
    const module = honeypotFor('CitrixHoneypot')!;
    const es = attacks(esDocs('citrixhoneypot.es.jsonl').map((d) => module.normalize(d)));
    assert.deepEqual(es.map(gist), native.map(gist));
    // Nested spelling of the grok targets is read too.
    const nested = module.normalize({ type: 'CitrixHoneypot', '@timestamp': '2025-03-14T07:00:00Z', src_ip: '192.0.2.61', http: { http_method: 'GET' }, fileinfo: { state: 'Header', filename: '/vpns/' } });
    assert.ok(!isSkip(nested));
    assert.deepEqual(nested.requests, [{ method: 'GET', path: '/vpns/' }]);
  });

  it('fromNative emulates the grok targets', () => {
    const module = honeypotFor('CitrixHoneypot')!;
    const doc = module.fromNative({ asctime: '2025-03-14 07:00:00,000', levelname: 'INFO', message: '(192.0.2.7:51234): GET Header: /vpn/../vpns/cfg/smb.conf' }, module.logs[0]!.path);
    assert.deepEqual(doc, {
      '@timestamp': '2025-03-14T07:00:00.000Z', src_ip: '192.0.2.7', src_port: 51234, 'http.http_method': 'GET', 'fileinfo.state': 'Header',
      'fileinfo.filename': '/vpn/../vpns/cfg/smb.conf', level: 'INFO', dest_port: '443',
    });
    const hostile = '(192.0.2.7:1): ' + 'A'.repeat(50_000) + ' ' + 'b '.repeat(50_000);
    const started = performance.now();
    assert.doesNotThrow(() => module.fromNative({ asctime: '2025-03-14 07:00:00,000', message: hostile }, module.logs[0]!.path));
    assert.doesNotThrow(() => module.fromNative({ message: `(192.0.2.7:1): GET Header: /${'/a\\'.repeat(50_000)}` }, module.logs[0]!.path));
    assert.ok(performance.now() - started < 500);
  });
});

describe('Glutton: slog JSON with `time`', () => {
  it('files mode takes the time from `time` (RFC 3339, nanoseconds), and `ts` (epoch) from older versions', async () => {
    const { records, results } = await readNative('Glutton', fixture('glutton.log.jsonl'));
    assert.deepEqual(skips(records), []);
    assert.ok(!results.some((r) => isSkip(r) && r.skip === 'no_timestamp'));
    const events = attacks(results);
    assert.deepEqual(events.map((e) => [e.srcIp, e.time, e.destPort, e.protocol]), [
      ['203.0.113.93', Date.parse('2025-03-14T05:30:00.612Z'), 5900, 'tcp'],
      ['::ffff:198.51.100.94', Date.parse('2025-03-14T05:31:00.250Z'), 80, 'http'],
      ['192.0.2.95', Date.parse('2025-03-14T05:32:00Z'), 21, 'ftp'],
      ['198.51.100.96', Date.parse('2025-03-14T05:33:00.123Z'), 8443, 'tcp'],
    ]);
  });

  it('Elasticsearch: `time` beats @timestamp (the ingest time, as the date filter on `ts` no longer matches)', async () => {
    const native = attacks((await readNative('Glutton', fixture('glutton.log.jsonl'))).results);
    const module = honeypotFor('Glutton')!;
    const es = attacks(esDocs('glutton.es.jsonl').map((d) => module.normalize(d)));
    assert.deepEqual(es.map(gist), native.map(gist));
    assert.equal(es[0]?.time, Date.parse('2025-03-14T05:30:00.612Z'));
  });
});

describe('Galah: flat dotted keys', () => {
  it('files mode reads request.requestURI, request.method and request.userAgent', async () => {
    const events = attacks((await readNative('Galah', fixture('galah.log.jsonl'))).results);
    assert.deepEqual(events.map((e) => e.requests), [
      [{ method: 'GET', path: '/cgi-bin/luci/;stok=/locale?form=country&operation=write' }],
      [{ method: 'POST', path: '/boaform/admin/formLogin' }],
      [{ method: 'GET', path: '/.git/config' }],
    ]);
    assert.deepEqual(events.map((e) => e.userAgents), [['Mozilla/5.0 (Hello, World)'], ['<script>alert(1)</script>'], undefined]);
    assert.deepEqual(events.map((e) => e.destPort), [8080, 443, 80]);
    assert.equal(events[0]?.session, 'a1b2c3d4-0000-4000-8000-000000000001');
  });

  it('Elasticsearch documents give the same attacks', async () => {
    const native = attacks((await readNative('Galah', fixture('galah.log.jsonl'))).results);
    const es = attacks(esDocs('galah.es.jsonl').map((d) => honeypotFor('Galah')!.normalize(d)));
    assert.deepEqual(es.map(gist), native.slice(0, 2).map(gist));
  });
});

describe('Honeyaml: dest_port is the Host header\'s, not where it listens', () => {
  it('every request is on 8080, whatever port the attacker wrote in Host', async () => {
    const events = attacks((await readNative('Honeyaml', fixture('honeyaml.log.jsonl'))).results);
    assert.deepEqual(events.map((e) => e.destPort), [8080, 8080, 8080]);
    assert.deepEqual(events[0]?.requests, [{ method: 'GET', path: '/api/v1/users' }]);
    const es = attacks(esDocs('honeyaml.es.jsonl').map((d) => honeypotFor('Honeyaml')!.normalize(d)));
    assert.deepEqual(es.map(gist), events.map(gist));
  });
});
