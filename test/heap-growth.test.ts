import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitHeapGrowth } from '../src/heap-growth.js';

describe('limitHeapGrowth', () => {
  it('sets the growing factor when node was started without one', () => {
    assert.equal(limitHeapGrowth(['--enable-source-maps']), true);
  });

  it("keeps the operator's own --heap-growing-percent, in either spelling", () => {
    assert.equal(limitHeapGrowth(['--heap-growing-percent=80']), false);
    assert.equal(limitHeapGrowth(['--heap_growing_percent=20']), false);
    assert.equal(limitHeapGrowth(['--heap-growing-percent', '80']), false);
  });
});
