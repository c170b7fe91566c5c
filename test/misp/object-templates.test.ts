import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OBJECT_TEMPLATES } from '../../src/misp/object-templates.js';
import { templates } from '../emulators/misp-rules.js';

describe('the object templates this project fills', () => {
  for (const [key, ours] of Object.entries(OBJECT_TEMPLATES)) {
    it(`${key}: name, version and the relations kept out of correlation are the official definition's`, () => {
      const official = templates.get(ours.uuid.toLowerCase());
      assert.ok(official, `misp-objects holds a template with uuid ${ours.uuid}`);
      assert.equal(official.name, ours.name);
      assert.equal(String(official.version), ours.version);
      const uncorrelated = Object.entries(official.attributes).filter(([, a]) => a.disable_correlation === true).map(([relation]) => relation);
      assert.deepEqual([...ours.uncorrelated].sort(), uncorrelated.sort());
    });
  }
});
