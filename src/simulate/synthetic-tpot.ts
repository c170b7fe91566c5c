// Synthetic T-Pot Elasticsearch documents, deterministic from a seed, shaped like the shared fixtures:
// several days, Cowrie logins, commands and downloads, Dionaea, Honeytrap, Suricata alerts among flow events,
// every other honeypot type re-issued from the bundled sample's lines (hostile strings included), IPv6, private
// and sensor sources, and NGINX/P0f documents that must never become attacks. Document i is a
// pure function of (options, i) with non-decreasing @timestamp, so an emulator can serve millions of
// them without holding them. Also answers which attacker IPs each (honeypot, day) event must hold.

import { createHash } from 'node:crypto';
import { allHoneypots } from '../honeypots/registry.js';
import { instantiate, loadTemplates, type AttackTemplate } from './templates.js';

export interface GeneratedSet {
  readonly docs: Record<string, unknown>[];
  /** `<type>|<YYYY-MM-DD>` → attacker IPs that must be in that event. */
  readonly expected: Map<string, Set<string>>;
}

export interface GenerateOptions {
  readonly docs: number;
  readonly uniqueIps: number;
  readonly days: number;
  /** First UTC day, `YYYY-MM-DD` (the set starts at its midnight). */
  readonly firstDay?: string;
  /** Or: the set ends just before this time (epoch ms) and covers the `days` before it. */
  readonly end?: number;
  readonly seed?: number;
}

// The types made here; every other one comes from the sample's lines.
const GENERATED_TYPES = new Set(['Cowrie', 'Dionaea', 'Honeytrap', 'Suricata', 'P0f', 'NGINX']);
let templates: AttackTemplate[] | undefined;
function sampleTemplates(): AttackTemplate[] {
  templates ??= loadTemplates(allHoneypots().filter((h) => !GENERATED_TYPES.has(h.type)));
  return templates;
}

export const SENSOR_EXT = '203.0.113.10';
export const SENSOR_INT = '10.20.0.5';
const DAY_MS = 86_400_000;

/** mulberry32: a tiny seeded generator, so that data sets (and test schedules) are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The i-th attacker address: documentation IPv4 ranges first, then 2001:db8::/32. */
export function attackerIp(i: number): string {
  const v4 = ['192.0.2', '198.51.100', '203.0.113'];
  if (i < 3 * 240) return `${v4[Math.floor(i / 240)]}.${(i % 240) + 11}`;
  // Written canonically (no zero group before `::`), as the pipeline will report it.
  const n = i - 720;
  return `2001:db8:${(Math.floor(n / 0xffff) + 1).toString(16)}:${((n % 0xffff) + 1).toString(16)}::1`;
}

export interface SyntheticDoc {
  readonly doc: Record<string, unknown>;
  /** For a document re-issued from a sample line: that line's native record, as its honeypot logs it. */
  readonly native?: Pick<AttackTemplate, 'path' | 'format' | 'header'> & { readonly record: Record<string, unknown> };
  /** The attacker this document must put into MISP, with its event key; absent for non-attacks. */
  readonly attacker?: { readonly key: string; readonly ip: string };
}

/** Document `i` of the set described by `options` (its @timestamp never decreases with i). */
export function tpotDoc(options: GenerateOptions, i: number): SyntheticDoc {
  const next = seededRandom(((options.seed ?? 1) * 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));
  const span = options.days * DAY_MS;
  const first = options.end !== undefined ? options.end - span : Date.parse(`${options.firstDay ?? '2025-03-10'}T00:00:00Z`);
  // Whole seconds: a document re-issued from a sample line reads back at exactly this time.
  const ts = Math.floor((first + Math.floor((i * span) / options.docs)) / 1000) * 1000;
  const day = new Date(ts).toISOString().slice(0, 10);
  const out = (doc: Record<string, unknown>, attackerType?: string): SyntheticDoc =>
    attackerType === undefined ? { doc } : { doc, attacker: { key: `${attackerType}|${day}`, ip: doc['src_ip'] as string } };
  const common = (type: string, ts: number, path: string) => ({
    '@timestamp': new Date(ts).toISOString(),
    '@version': '1',
    type,
    path,
    host: '8f3a2b1c9d4e',
    't-pot_hostname': 'tpot-hive-01',
    't-pot_ip_ext': SENSOR_EXT,
    't-pot_ip_int': SENSOR_INT,
    // Real documents carry both GeoIP blocks: most of their bytes, none of which the collector needs.
    geoip_ext: { ip: SENSOR_EXT, country_code2: 'DE', country_code3: 'DE', country_name: 'Germany', continent_code: 'EU', region_code: 'HE', region_name: 'Hesse', city_name: 'Frankfurt am Main', postal_code: '60313', timezone: 'Europe/Berlin', latitude: 50.1169, longitude: 8.6837, location: { lat: 50.1169, lon: 8.6837 }, asn: 64496, as_org: 'Example Telecom AG' },
  });
    const pick = next();
    // 4 % private or sensor sources: never attackers.
    const odd = next();
    const attacker = Math.floor(next() * options.uniqueIps);
  const ip = odd < 0.02 ? `10.0.${(attacker >> 8) & 255}.${attacker & 255}` : odd < 0.04 ? SENSOR_EXT : attackerIp(attacker);
    const valid = odd >= 0.04;
    const geo = { geoip: { ip, country_code2: 'US', country_code3: 'US', country_name: 'United States', continent_code: 'NA', region_code: 'VA', region_name: 'Virginia', city_name: 'Ashburn', postal_code: '20149', dma_code: 511, timezone: 'America/New_York', latitude: 39.0469, longitude: -77.4903, location: { lat: 39.0469, lon: -77.4903 }, asn: 64502, as_org: 'Example Networks LLC' }, ip_rep: 'mass scanner' };
    if (pick < 0.4) {
      // One password, one command and one download per attacker: unique indicators grow with attackers, not documents.
      const kind = next();
      const session = (i * 2654435761 >>> 0).toString(16).padStart(12, '0').slice(0, 12);
      const base = { ...common('Cowrie', ts, '/data/cowrie/log/cowrie.json'), ...geo, src_ip: ip, session, protocol: 'ssh', sensor: 'c0ffee42ab17', timestamp: new Date(ts).toISOString() };
      if (kind < 0.5) return out({ ...base, eventid: 'cowrie.session.connect', src_port: 40000 + (i % 20000), dest_ip: '172.18.0.4', dest_port: 22, message: `New connection: ${ip}` }, valid ? 'Cowrie' : undefined);
      else if (kind < 0.8) return out({ ...base, eventid: 'cowrie.login.failed', username: 'root', password: password(attacker), message: 'login attempt failed' }, valid ? 'Cowrie' : undefined);
      else if (kind < 0.95) return out({ ...base, eventid: 'cowrie.command.input', input: `uname -a; echo ${attacker % 13}`, message: 'CMD' }, valid ? 'Cowrie' : undefined);
      const url = `http://198.51.100.${attacker % 200}/bins/${['x86_64', 'arm7', 'mips'][attacker % 3]}`;
      const shasum = createHash('sha256').update(url).digest('hex');
      return out({ ...base, eventid: 'cowrie.session.file_download', url, shasum, outfile: `var/lib/cowrie/downloads/${shasum}`, destfile: '-', message: `Downloaded URL (${url}) with SHA-256 ${shasum} to var/lib/cowrie/downloads/${shasum}` }, valid ? 'Cowrie' : undefined);
    } else if (pick < 0.55) {
      return out({ ...common('Dionaea', ts, '/data/dionaea/log/dionaea.json'), ...geo, connection: { protocol: 'smbd', transport: 'tcp', type: 'accept' }, src_hostname: '', src_ip: ip, src_port: 49812, timestamp: new Date(ts).toISOString().replace('Z', ''), dest_ip: '172.22.0.3', dest_port: 445 }, valid ? 'Dionaea' : undefined);
    } else if (pick < 0.67) {
      return out({ ...common('Honeytrap', ts, '/data/honeytrap/log/attackers.json'), ...geo, timestamp: new Date(ts).toISOString(), attack_connection: { protocol: 'tcp', payload: { length: 3, data_hex: '474554' } }, src_ip: ip, src_port: 51000, dest_ip: '172.20.0.2', dest_port: 8000 + (i % 7) }, valid ? 'Honeytrap' : undefined);
    } else if (pick < 0.77) {
      const alert = next() < 0.5;
      return out({
        ...common('Suricata', ts, '/data/suricata/log/eve.json'),
        ...geo,
        timestamp: new Date(ts).toISOString(),
        flow_id: i,
        event_type: alert ? 'alert' : 'flow',
        src_ip: ip,
        src_port: 41111,
        dest_ip: SENSOR_INT,
        dest_port: 8080,
        proto: 'TCP',
        ...(alert && { alert: { action: 'allowed', gid: 1, signature_id: 2034647, rev: 2, signature: 'ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)', category: 'Attempted Administrator Privilege Gain', severity: 1, cve_id: 'CVE-2021-44228' } }),
        app_proto: 'http',
      }, alert && valid ? 'Suricata' : undefined);
    } else if (pick < 0.9 && sampleTemplates().length > 0) {
      // (Without the bundled sample, e.g. a copy without examples/, these documents are P0f's.)
      const all = sampleTemplates();
      const template = all[Math.floor(next() * all.length)]!;
      const address = template.v4Only && ip.includes(':') ? attackerIp(attacker % 720) : ip;
      const record = instantiate(template, address, ts) as Record<string, unknown>;
      const shaped = template.honeypot.fromNative(record, template.path) ?? {};
      // Logstash's own fields last: @timestamp exactly `ts`, so that it never decreases with i.
      const doc = { ...shaped, ...common(template.honeypot.type, ts, typeof shaped['path'] === 'string' ? shaped['path'] : `/data/${template.path}`), ...geo };
      return { doc, native: { path: template.path, format: template.format, ...(template.header && { header: template.header }), record }, ...(valid && { attacker: { key: `${template.honeypot.type}|${day}`, ip: address } }) };
    } else if (pick < 0.95) {
      return out({ ...common('P0f', ts, '/data/p0f/log/p0f.json'), src_ip: ip, src_port: 40001, dest_ip: SENSOR_INT, dest_port: 22, mod: 'syn', subject: 'cli', os: 'Linux 2.2.x-3.x' });
    } else {
      return out({ ...common('NGINX', ts, '/data/nginx/log/access.log'), src_ip: ip, request: 'GET /kibana HTTP/1.1', status: 200, remote_user: 'webuser', http_user_agent: 'Mozilla/5.0' });
    }
}

/** Attacker `n`'s password: now and then one a scanner would not send but an attacker can (markup, controls, RTL, emoji). */
function password(n: number): string {
  if (n % 97 === 13) return `<img src=x onerror=alert(${n})>`;
  if (n % 97 === 29) return `pw\u0000\u001b[31m${n}\u202e`;
  if (n % 97 === 41) return `🔑${n}'; DROP TABLE users;--`;
  return `pw${n % 97}`;
}

export function generateTpotDocs(options: GenerateOptions): GeneratedSet {
  const docs: Record<string, unknown>[] = [];
  const expected = new Map<string, Set<string>>();
  for (let i = 0; i < options.docs; i++) {
    const { doc, attacker } = tpotDoc(options, i);
    docs.push(doc);
    if (attacker === undefined) continue;
    let set = expected.get(attacker.key);
    if (set === undefined) expected.set(attacker.key, (set = new Set()));
    set.add(attacker.ip);
  }
  return { docs, expected };
}
