import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderConfigReference, renderEnvExample } from '../src/config-reference.js';

describe('configuration reference', () => {
  it('docs/configuration.md is generated from the schema and up to date', () => {
    assert.equal(readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8'), renderConfigReference(), 'run: node --import tsx scripts/gen-config-docs.ts');
  });
  it('.env.example lists every setting and is up to date', () => {
    assert.equal(readFileSync(new URL('../.env.example', import.meta.url), 'utf8'), renderEnvExample(), 'run: node --import tsx scripts/gen-config-docs.ts');
  });
});
