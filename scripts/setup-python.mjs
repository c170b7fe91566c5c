#!/usr/bin/env node
// Creates .venv with the Python peers the tests use (requirements-test.txt), from PyPI.
// Idempotent and quick when nothing changed: a stamp holds the hash of the requirements it installed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const requirements = join(root, 'requirements-test.txt');
const stamp = join(venv, '.requirements.sha256');
const venvPython = join(venv, 'bin', 'python');

const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
if (existsSync(venvPython) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) process.exit(0);

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? `exit status ${result.status}`;
    console.error(`setup-python: \`${command} ${args.join(' ')}\` failed (${why}). Python 3.9+ with venv and pip is needed for the PyMISP checks.`);
    process.exit(1);
  }
}

const python = process.env.PYTHON ?? 'python3';
console.error(`setup-python: installing ${requirements} into ${venv}`);
if (!existsSync(venvPython)) run(python, ['-m', 'venv', venv]);
run(venvPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements]);
writeFileSync(stamp, wanted);
