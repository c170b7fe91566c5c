import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDefaultToIds, TYPES_WITH_KNOWN_DEFAULT } from '../../src/misp/to-ids-defaults.js';
import { describeTypesResponse } from '../emulators/misp-rules.js';

describe("MISP's default to_ids per attribute type", () => {
  it("is describeTypes' sane default for every type listed", () => {
    const defaults = describeTypesResponse.result.sane_defaults;
    for (const type of TYPES_WITH_KNOWN_DEFAULT) {
      const ids = defaults[type]?.to_ids === 1;
      assert.ok(defaults[type], `${type} is a MISP type`);
      assert.ok(isDefaultToIds(type, ids) && !isDefaultToIds(type, !ids), type);
    }
  });

  it('is never assumed for a type not listed: such an edit always carries to_ids', () => {
    assert.equal(isDefaultToIds('domain', true), false);
    assert.equal(isDefaultToIds('domain', false), false);
    assert.equal(isDefaultToIds('constructor', false), false, 'not read off the object prototype');
  });

  it('covers every type this project sends (data-model.md lists them)', () => {
    for (const type of ['ip-src', 'ip-dst', 'url', 'uri', 'user-agent', 'text', 'hassh-md5', 'vulnerability', 'email-src', 'md5', 'sha256', 'filename', 'size-in-bytes', 'port', 'link', 'integer', 'boolean', 'datetime']) {
      assert.ok(TYPES_WITH_KNOWN_DEFAULT.includes(type), type);
    }
  });
});
