import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { AttackEvent } from '../src/attack-event.js';
import { AttackerIpPolicy } from '../src/attacker-ip-policy.js';
import { honeytrap } from '../src/honeypots/honeytrap.js';
import { extractIndicators, MAX_VALUE_BYTES, type Observation } from '../src/indicators.js';

const T = Date.UTC(2025, 2, 14, 9, 26, 53);

function observe(event: Partial<AttackEvent>, policy = new AttackerIpPolicy()): Observation {
  const result = extractIndicators({ honeypot: 'Cowrie', time: T, srcIp: '198.51.100.23', ...event } as AttackEvent, policy);
  assert.ok(!('skip' in result), `unexpected skip ${JSON.stringify(result)}`);
  return result;
}

describe('extractIndicators', () => {
  it('always yields the attacker as an ip-src to_ids attribute, with port and protocol context', () => {
    const o = observe({ destPort: 22, transport: 'tcp', protocol: 'ssh' });
    assert.deepEqual(o.indicators, [{ kind: 'attribute', type: 'ip-src', category: 'Network activity', value: '198.51.100.23', toIds: true }]);
    assert.equal(o.port, '22/tcp');
    assert.equal(o.protocol, 'ssh');
  });

  it('skips the whole event when the source is not an attacker address', () => {
    const policy = new AttackerIpPolicy({ sensorIps: ['203.0.113.10'] });
    const base = { honeypot: 'Cowrie', time: T, commands: ['id'] } as const;
    assert.deepEqual(extractIndicators({ ...base, srcIp: '10.13.37.5' }, policy), { skip: 'private_src_ip' });
    assert.deepEqual(extractIndicators({ ...base, srcIp: '203.0.113.10' }, policy), { skip: 'sensor_src_ip' });
    assert.deepEqual(extractIndicators({ ...base, srcIp: '203.0.113.11', sensorIps: ['203.0.113.11'] }, policy), { skip: 'sensor_src_ip' });
  });

  it('turns Cowrie logins and commands into cowrie objects tied to the attacker', () => {
    const o = observe({ protocol: 'ssh', credentials: [{ username: 'root', password: '123456', success: false }], commands: ['uname -a'] });
    const [login, command] = o.indicators.filter((i) => i.kind === 'object');
    assert.equal(login?.kind === 'object' && login.template, 'cowrie');
    assert.deepEqual(
      login?.kind === 'object' && login.attributes.map((a) => [a.relation, a.type, a.value]),
      [['src_ip', 'ip-src', '198.51.100.23'], ['username', 'text', 'root'], ['password', 'text', '123456'], ['protocol', 'text', 'ssh'], ['eventid', 'text', 'cowrie.login.failed']],
    );
    assert.deepEqual(command?.kind === 'object' && command.attributes.find((a) => a.relation === 'input')?.value, 'uname -a');
  });

  it('uses credential and command-line objects for other honeypots', () => {
    const o = observe({ honeypot: 'Heralding', credentials: [{ username: 'admin', password: 'p@ss"word' }], commands: ['INFO'] });
    const templates = o.indicators.flatMap((i) => (i.kind === 'object' ? [i.template] : []));
    assert.deepEqual(templates, ['credential', 'command-line']);
  });

  it('turns downloads into url + ip-dst (IP hosts) attributes and a file object with the hash', () => {
    const sha = 'a'.repeat(64);
    const o = observe({ files: [{ url: 'http://203.0.113.50/bins/x86', sha256: sha.toUpperCase(), filename: 'x86' }] });
    const attrs = o.indicators.filter((i) => i.kind === 'attribute').map((i) => i.kind === 'attribute' && `${i.type}=${i.value}`);
    assert.deepEqual(attrs, ['ip-src=198.51.100.23', 'url=http://203.0.113.50/bins/x86', 'ip-dst=203.0.113.50']);
    const file = o.indicators.find((i) => i.kind === 'object');
    assert.deepEqual(file?.kind === 'object' && file.attributes.map((a) => `${a.relation}=${a.value}`), [`sha256=${sha}`, 'filename=x86']);
  });

  it('turns exploit callbacks into url + ip-dst (IP hosts) attributes; an unknown scheme is dropped as invalid', () => {
    const o = observe({ honeypot: 'Log4pot', callbacks: ['ldap://203.0.113.99:1389/Exploit', 'rmi://evil.example.com/x', 'javascript://x', 'ldap://10.0.0.5/a'] });
    const attrs = o.indicators.map((i) => i.kind === 'attribute' && `${i.type}=${i.value}${i.label !== undefined ? ` (${i.label})` : ''}`);
    assert.deepEqual(attrs, [
      'ip-src=198.51.100.23',
      'url=ldap://203.0.113.99:1389/Exploit (Exploit callback (JNDI))',
      'ip-dst=203.0.113.99 (Exploit callback host)',
      'url=rmi://evil.example.com/x (Exploit callback (JNDI))',
      // A private callback host: the URL is kept, the address is not an indicator anyone else can use.
      'url=ldap://10.0.0.5/a (Exploit callback (JNDI))',
    ]);
    assert.deepEqual(o.dropped, ['invalid_value']);
  });

  it('drops oversized and malformed values, counting them, and keeps the rest', () => {
    const huge = 'A'.repeat(MAX_VALUE_BYTES + 1);
    const o = observe({ commands: [huge, 'ls'], hassh: 'not-a-hash', cves: ['CVE-2021-44228', 'CVE-bogus'], files: [{ url: 'javascript:alert(1)' }] });
    assert.deepEqual([...o.dropped].sort(), ['invalid_value', 'invalid_value', 'invalid_value', 'value_too_long']);
    assert.ok(o.indicators.some((i) => i.kind === 'object' && i.attributes.some((a) => a.value === 'ls')));
    assert.ok(o.indicators.some((i) => i.kind === 'attribute' && i.type === 'vulnerability' && i.value === 'CVE-2021-44228'));
  });

  it('counts multi-byte characters in bytes against MISP\'s limit', () => {
    const emoji = '😀'.repeat(16_384); // 65,536 bytes of UTF-8 in 32,768 UTF-16 units
    const o = observe({ commands: [emoji] });
    assert.deepEqual(o.dropped, ['value_too_long']);
  });

  it('keeps attacker text verbatim but repairs lone surrogates that would break MISP\'s JSON parser', () => {
    const o = observe({ commands: ['echo "<script>alert(1)</script>"\u0000\u001b[31m\r\n', 'bad \ud800 surrogate'] });
    const values = o.indicators.flatMap((i) => (i.kind === 'object' ? i.attributes.filter((a) => a.relation === 'input').map((a) => a.value) : []));
    assert.deepEqual(values, ['echo "<script>alert(1)</script>"\u0000\u001b[31m\r\n', 'bad \ufffd surrogate']);
  });

  it('shapes values the way MISP stores them, so that none is refused or dropped from an edit', () => {
    const o = observe({
      honeypot: 'Tanner',
      userAgents: ['curl/8.0\r\nX-Forwarded-For: 1.2.3.4', '  Mozilla/5.0  '],
      requests: [{ method: 'GET', path: '/a\nb' }],
      clientVersion: 'SSH-2.0-Go\r',
      credentials: [{ username: 'root', password: '\u0003' }],
      files: [{ url: 'http://203.0.113.7/x\ny.sh' }, { url: 'http://203.0.113.7/bot.sh', sha256: 'a'.repeat(64), filename: 'bot\n.sh' }],
    });
    const attrs = o.indicators.flatMap((i) => (i.kind === 'attribute' ? [`${i.type}=${i.value}`] : []));
    assert.deepEqual(attrs, [
      'ip-src=198.51.100.23',
      'url=http://203.0.113.7/bot.sh',
      'ip-dst=203.0.113.7',
      'uri=/a\\nb',
      'user-agent=curl/8.0\\r\\nX-Forwarded-For: 1.2.3.4',
      'user-agent=Mozilla/5.0',
      'text=SSH-2.0-Go',
    ]);
    const file = o.indicators.find((i) => i.kind === 'object' && i.template === 'file');
    assert.equal(file?.kind === 'object' && file.attributes.find((a) => a.relation === 'filename')?.value, 'bot\\n.sh');
    const credential = o.indicators.find((i) => i.kind === 'object' && i.template === 'credential');
    assert.deepEqual(credential?.kind === 'object' && credential.attributes.map((a) => a.relation), ['username', 'type', 'origin', 'format'], 'a password of control characters only is left out');
    assert.deepEqual([...o.dropped].sort(), ['invalid_value', 'invalid_value'], 'the URL with a line feed and the password');
  });

  it('makes no ip-port object for port 0 (MISP\'s port type is 1-65535)', () => {
    const o = observe({ honeypot: 'Dionaea', destPort: 0, transport: 'tcp', protocol: 'smbd' });
    assert.ok(!o.indicators.some((i) => i.kind === 'object'));
  });

  it('keeps a Honeyaml source (actix-web reads it from X-Forwarded-For when sent) out of IDS export, saying why', () => {
    const [ip] = observe({ honeypot: 'Honeyaml', srcIpFromClientHeader: 'X-Forwarded-For' }).indicators;
    assert.deepEqual(ip, { kind: 'attribute', type: 'ip-src', category: 'Network activity', value: '198.51.100.23', toIds: false, label: 'Source address as logged (may come from the client\'s X-Forwarded-For header)' });
  });

  it('decides per event whether a source may be client-supplied, naming the header; the type alone does not', () => {
    const [spoofable] = observe({ honeypot: 'Hellpot', srcIpFromClientHeader: 'X-Real-IP' }).indicators;
    assert.deepEqual(spoofable, { kind: 'attribute', type: 'ip-src', category: 'Network activity', value: '198.51.100.23', toIds: false, label: 'Source address as logged (may come from the client\'s X-Real-IP header)' });
    // H0neytr4p logged no X-Forwarded-For, a qeeqbox ssh login: the TCP peer, for IDS export.
    for (const event of [{ honeypot: 'H0neytr4p' }, { honeypot: 'Honeypots', protocol: 'ssh' }] as const) {
      const [peer] = observe(event).indicators;
      assert.deepEqual(peer, { kind: 'attribute', type: 'ip-src', category: 'Network activity', value: '198.51.100.23', toIds: true }, event.honeypot);
    }
  });

  it('keeps the source of a UDP request to a reflection lure out of IDS export: it may be the forged address of the victim', () => {
    const caveat = (protocol: string) => ({ kind: 'attribute', type: 'ip-src', category: 'Network activity', value: '198.51.100.23', toIds: false, label: `Source address as logged (UDP ${protocol}: may be forged, often the victim of a reflection attack)` });
    assert.deepEqual(observe({ honeypot: 'Ddospot', transport: 'udp', protocol: 'ntp', destPort: 123 }).indicators, [caveat('ntp')]);
    assert.deepEqual(observe({ honeypot: 'Ddospot', transport: 'udp' }).indicators, [caveat('reflection lure')], 'any Ddospot request');
    assert.deepEqual(observe({ honeypot: 'ConPot', transport: 'udp', protocol: 'snmp' }).indicators, [caveat('snmp')]);
    assert.deepEqual(observe({ honeypot: 'Honeypots', transport: 'udp', protocol: 'dns' }).indicators, [caveat('dns')]);
    assert.deepEqual(observe({ honeypot: 'Glutton', transport: 'udp', destPort: 123 }).indicators, [caveat('port 123')], 'the service named by its port');
    // SIP scanners and TCP connections need the answer: their source is the sender's.
    for (const event of [{ honeypot: 'Sentrypeer', transport: 'udp', protocol: 'sip' }, { honeypot: 'Glutton', transport: 'udp', destPort: 5060 }, { honeypot: 'Glutton', transport: 'tcp', destPort: 53 }, { honeypot: 'ConPot', transport: 'tcp', protocol: 'modbus' }, { honeypot: 'Honeypots', transport: 'tcp', protocol: 'dns' }] as const) {
      assert.deepEqual(observe(event).indicators[0], { kind: 'attribute', type: 'ip-src', category: 'Network activity', value: '198.51.100.23', toIds: true }, JSON.stringify(event));
    }
  });

  it('hashes what a Honeytrap client sent on the connection for correlation, not for IDS export: it is no malware sample', () => {
    const line = readFileSync(new URL('../../shared/fixtures/tpot/honeytrap.log.jsonl', import.meta.url), 'utf8').split('\n')[0]!;
    const doc = honeytrap.fromNative(JSON.parse(line) as Record<string, unknown>, 'honeytrap/log/attackers.json')!;
    const event = honeytrap.normalize(doc);
    assert.ok(!('skip' in event));
    const file = extractIndicators(event, new AttackerIpPolicy()) as Observation;
    const object = file.indicators.find((i) => i.kind === 'object');
    assert.deepEqual(object?.kind === 'object' && [object.template, object.unit, object.attributes.map((a) => `${a.relation}=${a.value} ids=${a.toIds}`)], [
      'file',
      'connections',
      ['md5=0f1e2d3c4b5a69788796a5b4c3d2e1f0 ids=false', 'size-in-bytes=78 ids=false'],
    ]);
    // The same hash of a file an attacker downloaded is for IDS export.
    const sample = observe({ honeypot: 'Dionaea', files: [{ md5: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' }] }).indicators.find((i) => i.kind === 'object');
    assert.deepEqual(sample?.kind === 'object' && [sample.unit, sample.attributes.map((a) => a.toIds)], ['transfers', [true]]);
  });

  it('makes Dionaea connections ip-port objects', () => {
    const o = observe({ honeypot: 'Dionaea', destPort: 445, transport: 'tcp', protocol: 'smbd' });
    const object = o.indicators.find((i) => i.kind === 'object');
    assert.deepEqual(object?.kind === 'object' && object.attributes.map((a) => `${a.relation}=${a.value}`), ['ip-src=198.51.100.23', 'dst-port=445', 'protocol=smbd']);
  });
});
