#!/usr/bin/env node
// Runs every *.test.ts under the given folder with node's built-in runner (through tsx).
// Node 20 has no recursive globs in `node --test`, so the files are listed here; an empty
// list is an error, because a runner that finds nothing exits 0 and would hide a broken suite.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = process.argv[2] ?? 'test';
const extra = process.argv.slice(3);

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

let files;
try {
  files = find(root);
} catch {
  files = [];
}
if (files.length === 0) {
  console.error(`run-tests: no *.test.ts files under ${root}/`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', extra.some((a) => a.startsWith('--test-concurrency')) ? '' : '--test-concurrency=2', ...extra, ...files].filter((a) => a !== ''),
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
