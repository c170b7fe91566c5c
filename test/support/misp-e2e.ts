// One e2e test file's MISP emulator and work directory: the emulator starts before the file's tests; both are gone
// after them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startMispEmulator, type MispEmulator } from '../emulators/misp-emulator.js';

export interface MispE2e {
  /** A fresh directory for the file's data, state and reports. */
  readonly work: string;
  /** The emulator (only once the file's tests run). */
  readonly misp: MispEmulator;
}

export function mispE2e(prefix: string): MispE2e {
  const work = mkdtempSync(join(tmpdir(), prefix));
  let misp: MispEmulator | undefined;
  before(async () => {
    misp = await startMispEmulator();
  });
  after(async () => {
    await misp?.close();
    rmSync(work, { recursive: true, force: true });
  });
  return {
    work,
    get misp(): MispEmulator {
      assert.ok(misp, 'the MISP emulator starts before the tests');
      return misp;
    },
  };
}
