// Honeypots that log an address the client wrote in a request header (X-Forwarded-For, X-Real-IP) instead of the TCP
// peer: their sources are marked by the normalizer, per event where the log says whether the header was sent, so
// that indicators keep them out of IDS export. Checked against the upstream code and T-Pot's configs (see each
// module's comment); Elasticsearch documents, native log lines and ewsposter's HPFEEDS alerts alike.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isSkip, type AttackEvent, type NormalizeResult } from '../../src/attack-event.js';
import { AttackerIpPolicy } from '../../src/attacker-ip-policy.js';
import type { Doc } from '../../src/honeypots/fields.js';
import { honeypotFor } from '../../src/honeypots/registry.js';
import { extractIndicators, type AttributeIndicator } from '../../src/indicators.js';
import { parsePayload } from '../../src/sources/hpfeeds/payloads.js';

const SYNTHETIC = new URL('../fixtures/tpot/', import.meta.url);
const SHARED = new URL('../../../shared/fixtures/tpot/', import.meta.url);

function docs(dir: URL, name: string): Doc[] {
  return readFileSync(new URL(name, dir), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Doc);
}

function attack(result: NormalizeResult): AttackEvent {
  assert.ok(!isSkip(result), `unexpected skip ${JSON.stringify(result)}`);
  return result;
}

function normalize(type: string, doc: Doc): AttackEvent {
  return attack(honeypotFor(type)!.normalize(doc));
}

/** The ip-src attribute the event yields: its to_ids flag and comment label. */
function ipSrc(event: AttackEvent): Pick<AttributeIndicator, 'toIds' | 'label'> {
  const observation = extractIndicators(event, new AttackerIpPolicy());
  assert.ok(!('skip' in observation), JSON.stringify(observation));
  const ip = observation.indicators.find((i): i is AttributeIndicator => i.kind === 'attribute' && i.type === 'ip-src');
  assert.ok(ip !== undefined);
  return { toIds: ip.toIds, ...(ip.label !== undefined && { label: ip.label }) };
}

const FROM = (header: string) => ({ toIds: false, label: `Source address as logged (may come from the client's ${header} header)` });
const PEER = { toIds: true };

/**
 * Every document of a fixture gives a source marked as coming from `header` (documents a fixture holds on purpose
 * that are no attack, when `skipsAllowed`, aside).
 */
function assertEverySourceFrom(type: string, dir: URL, file: string, header: string, skipsAllowed = false): void {
  const results = docs(dir, file).map((d) => honeypotFor(type)!.normalize(d));
  const events = skipsAllowed ? results.filter((r): r is AttackEvent => !isSkip(r)) : results.map(attack);
  assert.ok(events.length > 0, type);
  for (const event of events) assert.deepEqual(ipSrc(event), FROM(header), type);
}

const ES_BASE = { '@timestamp': '2025-03-14T12:00:00.000Z', 't-pot_ip_ext': '203.0.113.10', 't-pot_ip_int': '10.20.0.5' };

describe('sources a client can choose (request headers) are not for IDS export', () => {
  it('Honeyaml (actix-web realip_remote_addr: Forwarded / X-Forwarded-For): unchanged, every source, files and Elasticsearch', () => {
    assertEverySourceFrom('Honeyaml', SYNTHETIC, 'honeyaml.es.jsonl', 'X-Forwarded-For');
    const native = honeypotFor('Honeyaml')!.fromNative({ timestamp: '2025-03-14T11:00:00.000000Z', src_ip: '8.8.8.8', path: '/', method: 'GET' }, 'honeyaml/log/honeyaml.log');
    assert.deepEqual(ipSrc(normalize('Honeyaml', { ...native!, ...ES_BASE })), FROM('X-Forwarded-For'));
  });

  it('Hellpot (getRealRemote: T-Pot sets real_ip_header = X-Real-IP): every source', () => {
    assertEverySourceFrom('Hellpot', SYNTHETIC, 'hellpot.es.jsonl', 'X-Real-IP');
    const native = honeypotFor('Hellpot')!.fromNative({ time: '2025-03-14T06:20:00Z', REMOTE_ADDR: '8.8.8.8', URL: '/', message: 'NEW' }, 'hellpot/log/hellpot.log');
    assert.deepEqual(ipSrc(normalize('Hellpot', { ...native!, ...ES_BASE })), FROM('X-Real-IP'));
  });

  it('Go-pot (Fiber ProxyHeader X-Forwarded-For, trusted_proxies empty so every client is trusted): every source', () => {
    assertEverySourceFrom('Go-pot', SYNTHETIC, 'go-pot.es.jsonl', 'X-Forwarded-For');
  });

  it('Ipphoney (get_real_ip: X-Real-IP): every source', () => {
    assertEverySourceFrom('Ipphoney', SHARED, 'ipphoney.es.jsonl', 'X-Real-IP', true);
  });

  it('H0neytr4p (GetIP: X-Forwarded-For when non-empty): only the requests that logged the header', () => {
    const plain = docs(SHARED, 'h0neytr4p.es.jsonl').map((d) => normalize('H0neytr4p', d));
    assert.ok(plain.length > 0);
    for (const event of plain) {
      assert.equal(event.srcIpFromClientHeader, undefined, 'no header_x-forwarded-for: the TCP peer');
      assert.deepEqual(ipSrc(event), PEER);
    }
    const base = { ...ES_BASE, type: 'H0neytr4p', src_ip: '8.8.8.8', dest_port: 443, protocol: 'https', request_method: 'GET', request_uri: '/.env' };
    assert.deepEqual(ipSrc(normalize('H0neytr4p', { ...base, 'header_x-forwarded-for': '8.8.8.8' })), FROM('X-Forwarded-For'));
    // Two headers: GetFlatHeaders joins them, GetIP takes the first.
    assert.deepEqual(ipSrc(normalize('H0neytr4p', { ...base, 'header_x-forwarded-for': '8.8.8.8, 9.9.9.9' })), FROM('X-Forwarded-For'));
    assert.deepEqual(ipSrc(normalize('H0neytr4p', { ...base, 'header_x-forwarded-for': '' })), PEER, 'an empty header leaves GetIP on the peer');
    // Native log line (files mode): the header survives fromNative.
    const native = honeypotFor('H0neytr4p')!.fromNative({ timestamp: '2025-03-14T12:00:00Z', src_ip: '8.8.8.8', dest_port: '443', request_uri: '/', 'header_x-forwarded-for': '8.8.8.8' }, 'h0neytr4p/log/log.json');
    assert.deepEqual(ipSrc(normalize('H0neytr4p', { ...native!, ...ES_BASE })), FROM('X-Forwarded-For'));
    assert.ok(honeypotFor('H0neytr4p')!.fields.includes('header_x-forwarded-for'), 'fetched from Elasticsearch (_source includes)');
  });

  it('Honeypots (qeeqbox, fix_get_client_ip on http and https in T-Pot\'s config): only those protocols', () => {
    // (The server's own 0.0.0.0 lines are skipped later, by the attacker-address policy.)
    const others = docs(SYNTHETIC, 'honeypots.es.jsonl').map((d) => honeypotFor('Honeypots')!.normalize(d)).filter((r): r is AttackEvent => !isSkip(r) && r.srcIp !== '0.0.0.0');
    assert.ok(others.length > 0 && others.every((e) => e.protocol !== 'http' && e.protocol !== 'https'));
    for (const event of others) assert.deepEqual(ipSrc(event), PEER);
    const line = (protocol: string) => ({ ...ES_BASE, type: 'Honeypots', protocol, action: 'connection', src_ip: '8.8.8.8', src_port: 40000, dest_ip: '0.0.0.0', dest_port: 80 });
    assert.deepEqual(ipSrc(normalize('Honeypots', line('http'))), FROM('X-Forwarded-For or X-Real-IP'));
    assert.deepEqual(ipSrc(normalize('Honeypots', line('https'))), FROM('X-Forwarded-For or X-Real-IP'));
    assert.deepEqual(ipSrc(normalize('Honeypots', line('http_server'))), FROM('X-Forwarded-For or X-Real-IP'), 'without remove_word_server');
    for (const protocol of ['httpproxy', 'ipp', 'ssh', 'ftp']) assert.deepEqual(ipSrc(normalize('Honeypots', line(protocol))), PEER, protocol);
  });

  it('ElasticPot (report_event: the TCP peer) and other web honeypots: to_ids as before', () => {
    for (const event of docs(SHARED, 'elasticpot.es.jsonl').map((d) => honeypotFor('ElasticPot')!.normalize(d)).filter((r): r is AttackEvent => !isSkip(r))) {
      assert.deepEqual(ipSrc(event), PEER);
    }
    for (const [type, file] of [['Tanner', 'tanner.es.jsonl'], ['Wordpot', 'wordpot.es.jsonl'], ['Log4pot', 'log4pot.es.jsonl'], ['Medpot', 'medpot.es.jsonl']] as const) {
      const events = docs(SHARED, file).map((d) => honeypotFor(type)!.normalize(d)).filter((r): r is AttackEvent => !isSkip(r));
      assert.ok(events.length > 0, type);
      for (const event of events) assert.equal(event.srcIpFromClientHeader, undefined, type);
    }
  });
});

describe('HPFEEDS (ewsposter alerts carry no headers: the type, or qeeqbox\'s `modul`, decides)', () => {
  const RECEIVED = Date.parse('2026-11-28T12:00:00Z');
  const alert = (id: string, description: string, adata: [string, string][] = []) => Buffer.from(JSON.stringify({ Alert: {
    Analyzer: { '@id': id },
    CreateTime: { '@tz': '+0000', '#text': '2025-03-14 05:50:00' },
    Source: { '@category': 'ipv4', '@port': '0', '@protocol': 'tcp', '#text': '8.8.8.8' },
    Target: { '@category': 'ipv4', '@port': '80', '@protocol': 'tcp', '#text': '192.0.2.10' },
    Request: { '@type': 'description', '#text': description },
    AdditionalData: [...adata, ['externalIP', '192.0.2.10']].map(([meaning, text]) => ({ '@type': 'string', '@meaning': meaning, '#text': text })),
  } }));
  const one = (payload: Buffer): AttackEvent => {
    const result = parsePayload(payload, RECEIVED);
    assert.ok('attacks' in result, JSON.stringify(result));
    return result.attacks[0]!;
  };

  it('Honeyaml, Go-pot, H0neytr4p (the header is not forwarded), Hellpot and Ipphoney: every source', () => {
    assert.deepEqual(ipSrc(one(alert('honeyaml-community-01', 'Honeyaml Honeypot', [['path', '/']]))), FROM('X-Forwarded-For'));
    assert.deepEqual(ipSrc(one(alert('gopot-community-01', 'Go-Pot Honeypot', [['url', '/']]))), FROM('X-Forwarded-For'));
    assert.deepEqual(ipSrc(one(alert('h0neytr4p-community-01', 'H0neytr4p Honeypot', [['request_uri', '/.env']]))), FROM('X-Forwarded-For'));
    assert.deepEqual(ipSrc(one(alert('hellpot-community-01', 'Hellpot Honeypot', [['url', '/']]))), FROM('X-Real-IP'));
    assert.deepEqual(ipSrc(one(alert('ipphoney-community-01', 'IPP Honeypot'))), FROM('X-Real-IP'));
  });

  it('Honeypots: http and https modules only (or when the module is not said); others and ElasticPot stay to_ids', () => {
    assert.deepEqual(ipSrc(one(alert('honeypots-community-01', 'Honeypots Honeypot', [['modul', 'http']]))), FROM('X-Forwarded-For or X-Real-IP'));
    assert.deepEqual(ipSrc(one(alert('honeypots-community-01', 'Honeypots Honeypot', [['modul', 'https']]))), FROM('X-Forwarded-For or X-Real-IP'));
    assert.deepEqual(ipSrc(one(alert('honeypots-community-01', 'Honeypots Honeypot'))), FROM('X-Forwarded-For or X-Real-IP'));
    assert.deepEqual(ipSrc(one(alert('honeypots-community-01', 'Honeypots Honeypot', [['modul', 'ssh']]))), PEER);
    assert.deepEqual(ipSrc(one(alert('elasticpot-community-01', 'Elasticpot Honeypot'))), PEER);
    assert.deepEqual(ipSrc(one(alert('cowrie-community-01', 'SSH Honeypot Cowrie'))), PEER);
  });
});
