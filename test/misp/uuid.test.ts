import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { v5 } from 'uuid';
import { nameUuid } from '../../src/misp/uuid.js';

// UUIDs already in MISP must not change: the byte-fed fast path has to give exactly what uuid's v5 gives on strings.
test('nameUuid equals uuid v5 for any well-formed name and namespace', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.uuid(), (name, namespace) => {
      assert.equal(nameUuid(name, namespace), v5(name, namespace));
    }),
    { numRuns: 2000 },
  );
});

test('nameUuid gives the RFC 4122 v5 UUID (as Python\'s uuid.uuid5 computes it): event UUIDs stay what MISP holds', () => {
  assert.equal(nameUuid('cowrie|2024-01-01', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '88e9d487-3078-5469-8ffb-7fdb9bf03d4b');
});

test('nameUuid turns a lone surrogate into U+FFFD instead of throwing (uuid v5 throws URIError on it)', () => {
  assert.equal(nameUuid('a\ud800b', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), v5('a\ufffdb', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'));
});
