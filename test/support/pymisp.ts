// Runs PyMISP (installed into .venv by scripts/setup-python.mjs) over a MISP feed directory.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from './cli.js';

const VENV_PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const CHECK = fileURLToPath(new URL('./pymisp_check.py', import.meta.url));

export interface PyMispVerdict {
  readonly ok: boolean;
  readonly events: number;
  readonly attributes: number;
  readonly objects: number;
  readonly object_attributes: number;
  /** ObjectReferences checked (each must point at an attribute or object of its event). */
  readonly references: number;
  /** Objects per template name. */
  readonly templates: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
}

/** The virtualenv's Python, set up on demand so that a lone `node --test` of one file works too. */
export function venvPython(): string {
  if (!existsSync(VENV_PYTHON)) {
    const setup = spawnSync(process.execPath, ['scripts/setup-python.mjs'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
    if (setup.status !== 0) throw new Error('could not set up the Python virtualenv (scripts/setup-python.mjs)');
  }
  return VENV_PYTHON;
}

export function checkFeedWithPyMisp(feedDir: string): PyMispVerdict {
  const result = spawnSync(venvPython(), [CHECK, feedDir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
  if (!lastLine.startsWith('{')) throw new Error(`PyMISP check crashed (status ${result.status}):\n${result.stderr}`);
  return JSON.parse(lastLine) as PyMispVerdict;
}
