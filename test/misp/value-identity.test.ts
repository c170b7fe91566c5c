import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mispValueKey, phpTrim } from '../../src/misp/value-identity.js';

describe('mispValueKey: values MISP holds as the same one', () => {
  it('ignores case, accents, trailing blanks and what PHP trims, as MISP\'s utf8mb3_unicode_ci column does', () => {
    const twins: [string, string, string][] = [
      ['uri', '/HNAP1/', '/hnap1/'],
      ['user-agent', 'Mozilla/5.0 ', 'Mozilla/5.0'],
      ['text', 'SSH-2.0-Go\r', 'SSH-2.0-Go'],
      ['text', 'café', 'CAFE'],
      ['text', 'Straße', 'STRASSE'],
      ['email-src', 'Spam@Example.ORG', 'spam@example.org'],
      // MISP stores every 4-byte UTF-8 character as "?".
      ['text', 'smile 😀', 'smile 😁'],
      ['url', 'http://203.0.113.9[.]example/a', 'http://203.0.113.9.example/a'],
    ];
    for (const [type, a, b] of twins) assert.equal(mispValueKey(type, a), mispValueKey(type, b), `${type}: ${JSON.stringify(a)} ~ ${JSON.stringify(b)}`);
  });

  it('keeps values apart that MISP keeps apart', () => {
    const apart: [string, string, string][] = [
      ['uri', '/admin', '/admin/'],
      ['uri', '/a b', '/ab'],
      ['ip-src', '198.51.100.1', '198.51.100.10'],
      ['user-agent', ' Mozilla', 'Mozilla x'],
    ];
    for (const [type, a, b] of apart) assert.notEqual(mispValueKey(type, a), mispValueKey(type, b), `${type}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  });

  it('phpTrim strips only PHP trim()\'s characters', () => {
    assert.equal(phpTrim(' \t\n\r\0\x0Bvalue\x0B\0\r\n\t '), 'value');
    assert.equal(phpTrim('\u00a0value\u00a0'), '\u00a0value\u00a0', 'a no-break space is kept, as PHP keeps it');
    assert.equal(phpTrim('value'), 'value');
  });
});
