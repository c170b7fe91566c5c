// Unattended runs must say when they fail, and keep going when waiting heals it. Periodic batch mode (BATCH_INTERVAL_HOURS): a run that fails because MISP is down must not end
// the process (under Docker's restart policy that is a restart loop re-reading the source); the next interval
// delivers the backlog. SIGTERM while waiting ends it at once, cleanly.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { startMispEmulator } from '../emulators/misp-emulator.js';
import { readFileSync } from 'node:fs';
import { StateStore } from '../../src/state.js';
import { PROJECT_ROOT, runCliAsync, startCli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-periodic-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('periodic batch mode', () => {
  it('a run that fails (MISP down) is logged and the process waits for the next interval; SIGTERM then exits 0', async () => {
    const misp = await startMispEmulator();
    misp.outage(Date.now() + 3_600_000);
    try {
      const { child, done } = startCli(
        ['run', '--mode', 'files', '--data-dir', join(PROJECT_ROOT, 'examples', 'tpot-data'), '--output', 'misp', '--state-db', join(work, 'state.db')],
        { MISP_URL: misp.url, MISP_KEY: misp.apiKey, VALIDATION_REPORT_ENABLED: 'false', BATCH_INTERVAL_HOURS: '1', LOG_LEVEL: 'info' },
      );
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      const deadline = Date.now() + 120_000;
      while (!/the next run, in 1 h/.test(stdout + stderr) && child.exitCode === null && Date.now() < deadline) await sleep(100);
      assert.equal(child.exitCode, null, `the process ended after the failed run:\n${stderr}`);
      assert.match(stdout + stderr, /The run failed \(T2M_MISP_HTTP\)/);
      await sleep(300);
      assert.equal(child.exitCode, null, 'still waiting for the next interval');
      child.kill('SIGTERM');
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
    } finally {
      await misp.close();
    }
  });

  it('run --once in realtime mode (drain the outbox) exits non-zero when MISP refused the delivery; the messages stay', async () => {
    const db = join(work, 'outbox.db');
    const state = StateStore.open(db);
    const payload = readFileSync(new URL('../../../shared/fixtures/hpfeeds/cowrie.sessions.jsonl', import.meta.url), 'utf8').split('\n')[0]!;
    state.appendOutbox([{ receivedAt: Date.now(), channel: 'cowrie.sessions', publisher: 'sensor', payload: Buffer.from(payload) }]);
    state.close();
    const misp = await startMispEmulator();
    misp.outage(Date.now() + 3_600_000);
    try {
      const result = await runCliAsync(['run', '--once', '--mode', 'realtime', '--output', 'misp', '--state-db', db], {
        MISP_URL: misp.url, MISP_KEY: misp.apiKey, VALIDATION_REPORT_ENABLED: 'false',
        HPFEEDS_HOST: '127.0.0.1', HPFEEDS_IDENT: 'tpot2misp', HPFEEDS_SECRET: 'secret', HPFEEDS_CHANNELS: 'cowrie.sessions',
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /T2M_MISP_HTTP/);
      const after = StateStore.open(db);
      assert.equal(after.outboxSize, 1);
      after.close();
    } finally {
      await misp.close();
    }
  });
});
