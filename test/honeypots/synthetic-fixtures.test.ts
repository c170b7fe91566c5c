import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AttackerIpPolicy } from '../../src/attacker-ip-policy.js';
import { isSkip, type AttackEvent, type NormalizeResult } from '../../src/attack-event.js';
import type { Doc } from '../../src/honeypots/fields.js';
import { allHoneypots, honeypotFor } from '../../src/honeypots/registry.js';

const SYNTHETIC = new URL('../fixtures/tpot/', import.meta.url);
const SHARED = new URL('../../../shared/fixtures/tpot/', import.meta.url);

function fileName(type: string): string {
  return `${type.toLowerCase()}.es.jsonl`;
}

function normalize(type: string): NormalizeResult[] {
  const text = readFileSync(new URL(fileName(type), SYNTHETIC), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const doc = JSON.parse(line) as Doc;
      assert.equal(doc['type'], type, 'each file holds one T-Pot type');
      return honeypotFor(type)!.normalize(doc);
    });
}

function attacks(type: string): AttackEvent[] {
  return normalize(type).filter((r): r is AttackEvent => !isSkip(r));
}

const policy = new AttackerIpPolicy({ sensorIps: ['203.0.113.10', '10.20.0.5'] });
function reportedIps(type: string): string[] {
  return attacks(type).flatMap((e) => {
    const verdict = policy.classify(e.srcIp);
    return 'ip' in verdict ? [verdict.ip] : [];
  });
}

describe('synthetic fixtures for the honeypots the shared fixtures lack', () => {
  it('together with the shared fixtures, cover every type T-Pot writes', () => {
    for (const module of allHoneypots()) {
      const covered = existsSync(new URL(fileName(module.type), SHARED)) || existsSync(new URL(fileName(module.type), SYNTHETIC));
      assert.ok(covered, `a fixture for ${module.type}`);
    }
  });

  it('Beelzebub: credentials and commands from the LLM honeypot, IPv6 sources kept', () => {
    const events = attacks('Beelzebub');
    assert.deepEqual(events[0]?.credentials, [{ username: 'root', password: 'toor' }]);
    assert.deepEqual(events[1]?.commands, ['cat /etc/passwd']);
    assert.deepEqual(reportedIps('Beelzebub'), ['198.51.100.41', '198.51.100.41', '2001:db8:beef::7']);
  });

  it('CitrixHoneypot: "GET/POST Header: <path>" lines are requests; the other lines of a connection are attacks without one', () => {
    const events = attacks('CitrixHoneypot');
    assert.equal(events.length, normalize('CitrixHoneypot').length, 'the start-up line never reaches Elasticsearch (grok failure)');
    assert.deepEqual(events.flatMap((e) => e.requests ?? []), [
      { method: 'GET', path: '/vpn/../vpns/cfg/smb.conf' },
      { method: 'POST', path: '/vpn/../vpns/portal/scripts/newbm.pl' },
      { method: 'GET', path: '/vpn/../vpns/portal/tips.html' },
      { method: 'GET', path: '/vpn/../vpns/cfg/x.conf' },
    ]);
    assert.ok(events.every((e) => e.destPort === 443));
  });

  it('Ddospot: the UDP service comes from the log file name; private reflectors are not reported', () => {
    assert.deepEqual(attacks('Ddospot').map((e) => `${e.protocol}/${e.transport}:${e.destPort}`), ['dns/udp:53', 'ntp/udp:123', 'ssdp/udp:1900']);
    assert.deepEqual(reportedIps('Ddospot'), ['203.0.113.71', '198.51.100.72']);
  });

  it('Dicompot: DICOM sessions from the attacker', () => {
    assert.deepEqual(reportedIps('Dicompot'), ['192.0.2.81', '192.0.2.81']);
    assert.ok(attacks('Dicompot').every((e) => e.protocol === 'dicom'));
  });

  it('Fatt is a network sensor: recognised and skipped', () => {
    assert.ok(normalize('Fatt').every((r) => isSkip(r) && r.skip === 'nsm_context'));
  });

  it('Galah: request paths and user agents, markup kept verbatim as data', () => {
    const events = attacks('Galah');
    assert.deepEqual(events[0]?.requests, [{ method: 'GET', path: '/cgi-bin/luci/;stok=/locale?form=country&operation=write' }]);
    assert.deepEqual(events[1]?.userAgents, ['<script>alert(1)</script>']);
  });

  it('Glutton: the handler is the protocol; an IPv4-mapped source is reported as IPv4; lines without a source are skipped', () => {
    assert.deepEqual(attacks('Glutton').map((e) => e.protocol), ['tcp', 'http', 'ftp', 'tcp']);
    assert.deepEqual(reportedIps('Glutton'), ['203.0.113.93', '198.51.100.94', '192.0.2.95', '198.51.100.96']);
    assert.ok(isSkip(normalize('Glutton')[0]!));
  });

  it('Go-pot and Hellpot: tarpit requests with their user agents', () => {
    assert.deepEqual(attacks('Go-pot')[0]?.requests, [{ method: 'GET', path: '/.git/config' }]);
    assert.deepEqual(attacks('Go-pot')[0]?.userAgents, ['Go-http-client/1.1']);
    const hellpot = attacks('Hellpot');
    assert.equal(hellpot.length, 2);
    assert.deepEqual(hellpot[0]?.requests, [{ path: '/wp-login.php' }]);
    assert.deepEqual(hellpot[0]?.userAgents, ['Mozilla/5.0 (compatible; Nuclei)']);
  });

  it('Honeyaml: the request path is its own `path` field, and Basic credentials are decoded', () => {
    const [event] = attacks('Honeyaml');
    assert.deepEqual(event?.requests, [{ method: 'GET', path: '/api/v1/users' }]);
    assert.deepEqual(event?.credentials, [{ username: 'admin', password: 'admin' }]);
  });

  it('Honeypots (qeeqbox): credentials per protocol; the server\'s own 0.0.0.0 lines are not attackers', () => {
    assert.deepEqual(attacks('Honeypots')[0]?.credentials, [{ username: 'anonymous', password: 'guest@example.com' }]);
    assert.deepEqual(reportedIps('Honeypots'), ['198.51.100.111', '198.51.100.112']);
  });

  it('RDPHoneypot: connections on 3389', () => {
    const [event] = attacks('RDPHoneypot');
    assert.equal(event?.srcIp, '192.0.2.121');
    assert.equal(event?.destPort, 3389);
    assert.equal(event?.protocol, 'rdp');
  });
});
