import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Indicator } from '../../src/indicators.js';
import { providerCovers, subjectOf } from '../../src/enrichment/subject.js';

const ip = (value: string): Indicator => ({ kind: 'attribute', type: 'ip-src', category: 'Network activity', value, toIds: true });

describe('what enrichment looks up', () => {
  it('attacker IPs, but never the private ranges only ALLOW_PRIVATE_IPS lets into MISP', () => {
    assert.deepEqual(subjectOf(ip('45.10.1.2')), { kind: 'ip', value: '45.10.1.2' });
    assert.deepEqual(subjectOf(ip('2a01:4f8::1')), { kind: 'ip', value: '2a01:4f8::1' });
    for (const value of ['10.0.0.5', '192.168.1.9', '100.64.0.1', '127.0.0.1', 'fd00::1']) assert.equal(subjectOf(ip(value)), undefined, value);
  });

  it('download URLs, and files by SHA-256 (else MD5); nothing else', () => {
    assert.deepEqual(subjectOf({ kind: 'attribute', type: 'url', category: 'Payload delivery', value: 'http://198.51.100.77/x', toIds: true }), { kind: 'url', value: 'http://198.51.100.77/x' });
    const file = (relations: string[]): Indicator => ({
      kind: 'object', template: 'file', key: 'k', unit: 'transfers',
      attributes: relations.map((relation) => ({ relation, type: relation, category: 'Payload delivery', value: `${relation}-value`, toIds: true })),
    });
    assert.deepEqual(subjectOf(file(['md5', 'sha256'])), { kind: 'sha256', value: 'sha256-value' });
    assert.deepEqual(subjectOf(file(['md5', 'filename'])), { kind: 'md5', value: 'md5-value' });
    assert.equal(subjectOf(file(['filename'])), undefined);
    assert.equal(subjectOf({ kind: 'attribute', type: 'user-agent', category: 'Network activity', value: 'curl', toIds: false }), undefined);
  });

  it('GreyNoise knows IPv4 addresses only, AbuseIPDB IPs only, VirusTotal all four kinds', () => {
    assert.equal(providerCovers('greynoise', { kind: 'ip', value: '45.10.1.2' }), true);
    assert.equal(providerCovers('greynoise', { kind: 'ip', value: '2a01:4f8::1' }), false);
    assert.equal(providerCovers('abuseipdb', { kind: 'url', value: 'http://x/' }), false);
    assert.equal(providerCovers('virustotal', { kind: 'md5', value: 'x' }), true);
  });
});
