import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { limitHeapGrowth } from '../src/heap-growth.js';

const HEAP_GROWTH = new URL('../src/heap-growth.ts', import.meta.url).href;

// A child process sets tpot2misp's heap growth as the CLI does, then allocates what a batch run holds: many small
// objects that survive. It prints the largest young generation V8 gave it, in MB.
const PROBE = `
import { getHeapSpaceStatistics } from 'node:v8';
import { limitHeapGrowth } from ${JSON.stringify(HEAP_GROWTH)};
limitHeapGrowth();
const held = [];
let largest = 0;
for (let i = 0; i < 300000; i++) {
  held.push({ i, value: 'value ' + i });
  if (i % 1000 === 0) largest = Math.max(largest, getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
}
process.stdout.write(String(largest / 1048576));
`;

function youngGenerationMb(nodeFlags: readonly string[]): number {
  const output = execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', '--input-type=module', '--eval', PROBE], {
    env: { ...process.env, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  return Number(output);
}

describe('limitHeapGrowth', () => {
  it('sets both factors when node was started without either', () => {
    assert.deepEqual(limitHeapGrowth(['--enable-source-maps'], '--max-old-space-size=512'), ['--heap-growing-percent=25', '--semi-space-growth-factor=1']);
  });

  it("keeps the operator's own --heap-growing-percent, in either spelling", () => {
    for (const own of [['--heap-growing-percent=80'], ['--heap_growing_percent=20'], ['--heap-growing-percent', '80']]) {
      assert.deepEqual(limitHeapGrowth(own, ''), ['--semi-space-growth-factor=1']);
    }
  });

  it("keeps the operator's own young generation size, on node's command line or in NODE_OPTIONS", () => {
    assert.deepEqual(limitHeapGrowth([], '--max-semi-space-size=4'), ['--heap-growing-percent=25']);
    assert.deepEqual(limitHeapGrowth(['--semi_space_growth_factor=4'], ''), ['--heap-growing-percent=25']);
    assert.deepEqual(limitHeapGrowth(['--min-semi-space-size=2'], ''), ['--heap-growing-percent=25']);
  });

  it("keeps V8's young generation at its start size, which left to itself grows sixteenfold", () => {
    // Checked on the running Node.js: a version that stopped reading the flag at run time would fail here.
    const limited = youngGenerationMb([]);
    const own = youngGenerationMb(['--semi-space-growth-factor=2']);
    assert.ok(limited <= 4, `young generation ${limited} MB with tpot2misp's setting`);
    assert.ok(own >= 16, `young generation ${own} MB with the operator's own growth factor (V8's default)`);
  });
});
