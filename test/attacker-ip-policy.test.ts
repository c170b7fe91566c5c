import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AttackerIpPolicy } from '../src/attacker-ip-policy.js';

describe('AttackerIpPolicy', () => {
  const policy = new AttackerIpPolicy({ sensorIps: ['203.0.113.10'], excludeIps: ['198.51.100.128/25', '2001:db8:ffff::/48', '192.0.2.99'] });

  it('accepts globally routable and documentation addresses, canonicalised', () => {
    assert.deepEqual(policy.classify('8.8.8.8'), { ip: '8.8.8.8' });
    assert.deepEqual(policy.classify('198.51.100.23'), { ip: '198.51.100.23' });
    assert.deepEqual(policy.classify('2001:DB8:0:0::7'), { ip: '2001:db8::7' });
    assert.deepEqual(policy.classify('2606:4700:0000::1'), { ip: '2606:4700::1' });
  });

  it('unwraps IPv4-mapped IPv6', () => {
    assert.deepEqual(policy.classify('::ffff:198.51.100.7'), { ip: '198.51.100.7' });
    assert.deepEqual(policy.classify('::ffff:10.0.0.1'), { skip: 'private_src_ip' });
  });

  it('rejects private, loopback, link-local, CGNAT, multicast, reserved and unspecified sources', () => {
    for (const ip of ['10.1.2.3', '172.16.0.1', '192.168.1.50', '127.0.0.1', '100.64.0.9', '::1', 'fd00::1']) {
      assert.deepEqual(policy.classify(ip), { skip: 'private_src_ip' }, ip);
    }
    for (const ip of ['169.254.1.1', 'fe80::1', '224.0.0.1', 'ff02::1', '0.0.0.0', '::', '240.0.0.1', '255.255.255.255', '198.18.0.1']) {
      assert.deepEqual(policy.classify(ip), { skip: 'reserved_src_ip' }, ip);
    }
  });

  it('rejects malformed and non-canonical textual forms', () => {
    for (const ip of ['', 'localhost', '127.1', '0x7f.0.0.1', '1.2.3.4.5', '999.1.1.1', 'fe80::1%eth0', '<script>', '1.2.3.4/24']) {
      assert.deepEqual(policy.classify(ip), { skip: 'invalid_src_ip' }, ip);
    }
    assert.deepEqual(policy.classify(' 198.51.100.5\n'), { ip: '198.51.100.5' }, 'surrounding whitespace is not part of an address');
  });

  it('never reports the sensor itself, whether configured or learnt from the data', () => {
    assert.deepEqual(policy.classify('203.0.113.10'), { skip: 'sensor_src_ip' });
    assert.deepEqual(policy.classify('203.0.113.11'), { ip: '203.0.113.11' });
    policy.addSensorIp('203.0.113.11');
    assert.deepEqual(policy.classify('203.0.113.11'), { skip: 'sensor_src_ip' });
  });

  it('honours EXCLUDE_IPS addresses and CIDR ranges, IPv4 and IPv6', () => {
    assert.deepEqual(policy.classify('198.51.100.200'), { skip: 'excluded_src_ip' });
    assert.deepEqual(policy.classify('198.51.100.100'), { ip: '198.51.100.100' });
    assert.deepEqual(policy.classify('2001:db8:ffff:1::5'), { skip: 'excluded_src_ip' });
    assert.deepEqual(policy.classify('192.0.2.99'), { skip: 'excluded_src_ip' });
  });

  it('keeps private sources with allowPrivate, but never the sensor', () => {
    const deception = new AttackerIpPolicy({ allowPrivate: true, sensorIps: ['10.20.0.5'] });
    assert.deepEqual(deception.classify('10.13.37.5'), { ip: '10.13.37.5' });
    assert.deepEqual(deception.classify('100.64.1.1'), { ip: '100.64.1.1' });
    assert.deepEqual(deception.classify('127.0.0.1'), { ip: '127.0.0.1' });
    assert.deepEqual(deception.classify('10.20.0.5'), { skip: 'sensor_src_ip' });
    assert.deepEqual(deception.classify('224.0.0.1'), { skip: 'reserved_src_ip' });
  });
});
