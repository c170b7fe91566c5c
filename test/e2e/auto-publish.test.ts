// The publishing policy against the MISP emulator: unpublished by default; with AUTO_PUBLISH, a daily
// event is published once its day has ended and it was quiet for PUBLISH_DELAY, again after later
// additions, never on every run, and never while its day is still going on.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCliAsync as runCli } from '../support/cli.js';
import { cowrieLine } from '../support/cowrie-log.js';
import { mispE2e } from '../support/misp-e2e.js';

const e2e = mispE2e('tpot2misp-publish-');
const { work } = e2e;

const dataDir = join(work, 'data');
const cowrieLog = join(dataDir, 'cowrie', 'log', 'cowrie.json');
const today = new Date().toISOString().slice(0, 10);

function publishRequests(): number {
  return e2e.misp.requestCounts()['POST /events/publish/{id}'] ?? 0;
}

function eventFor(day: string) {
  return e2e.misp.events().find((e) => e.date === day);
}

describe('AUTO_PUBLISH policy (files → MISP emulator)', () => {
  const stateDb = join(work, 'state.db');
  const args = ['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'misp', '--state-db', stateDb];
  const env = (extra: Record<string, string> = {}) => ({ MISP_URL: e2e.misp.url, MISP_KEY: e2e.misp.apiKey, VALIDATION_REPORT_ENABLED: 'false', TPOT_HONEYPOTS: 'Cowrie', ...extra });

  it('leaves events unpublished by default', async () => {
    mkdirSync(join(dataDir, 'cowrie', 'log'), { recursive: true });
    writeFileSync(cowrieLog, cowrieLine('198.51.100.7', '2025-03-14T10:00:00.000000Z') + cowrieLine('198.51.100.8', `${today}T00:00:00.000000Z`));
    const result = await runCli(args, env());
    assert.equal(result.status, 0, result.stderr);
    assert.equal(e2e.misp.events().length, 2);
    assert.equal(publishRequests(), 0);
    assert.ok(e2e.misp.events().every((e) => !e.published));
  });

  it('waits for PUBLISH_DELAY seconds of quiet', async () => {
    const result = await runCli(args, env({ AUTO_PUBLISH: 'true', PUBLISH_DELAY: '3600' }));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(publishRequests(), 0);
  });

  it('publishes a finished, quiet day once, and never today\'s event', async () => {
    const result = await runCli(args, env({ AUTO_PUBLISH: 'true', PUBLISH_DELAY: '0' }));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(eventFor('2025-03-14')?.published, true);
    assert.equal(eventFor(today)?.published, false);
    assert.equal(publishRequests(), 1);

    const again = await runCli(args, env({ AUTO_PUBLISH: 'true', PUBLISH_DELAY: '0' }));
    assert.equal(again.status, 0, again.stderr);
    assert.equal(publishRequests(), 1, 'nothing changed, so nothing is published again');
  });

  it('publishes again after a late addition unpublished the event', async () => {
    appendFileSync(cowrieLog, cowrieLine('198.51.100.9', '2025-03-14T23:59:00.000000Z'));
    const withDelay = await runCli(args, env({ AUTO_PUBLISH: 'true', PUBLISH_DELAY: '3600' }));
    assert.equal(withDelay.status, 0, withDelay.stderr);
    const late = eventFor('2025-03-14')!;
    assert.equal(late.published, false, 'MISP unpublishes an event when it changes');
    assert.equal(late.Attribute.filter((a) => a.type === 'ip-src').length, 2);
    assert.equal(publishRequests(), 1, 'not before the event has been quiet for PUBLISH_DELAY');

    const quiet = await runCli(args, env({ AUTO_PUBLISH: 'true', PUBLISH_DELAY: '0' }));
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.equal(eventFor('2025-03-14')?.published, true);
    assert.equal(publishRequests(), 2);
    assert.deepEqual(e2e.misp.specViolations, []);
    assert.deepEqual(e2e.misp.unreported, []);
  });
});
