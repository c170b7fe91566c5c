// STATE_RETENTION_DAYS: the state file forgets what MISP holds of old events, so that it stops growing. A late
// attack for a forgotten day must still reach MISP correctly: no duplicate, no refused request, nothing lost.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCliAsync as runCli } from '../support/cli.js';
import { cowrieLine } from '../support/cowrie-log.js';
import { mispE2e } from '../support/misp-e2e.js';

const e2e = mispE2e('tpot2misp-retention-');
const { work } = e2e;

const dataDir = join(work, 'data');
const cowrieLog = join(dataDir, 'cowrie', 'log', 'cowrie.json');
const stateDb = join(work, 'state.db');

const login = (ip: string, timestamp: string): string => cowrieLine(ip, timestamp, { eventid: 'cowrie.login.failed', username: 'root', password: 'admin' });

function itemsOf(day: string): number {
  const db = new Database(stateDb, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM delivered_item i JOIN delivered_event e ON e.uuid = i.event_uuid WHERE e.day = ?').get(day) as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('STATE_RETENTION_DAYS (files → MISP emulator)', () => {
  const run = () => runCli(['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'misp', '--state-db', stateDb], {
    MISP_URL: e2e.misp.url, MISP_KEY: e2e.misp.apiKey, TPOT_HONEYPOTS: 'Cowrie', VALIDATION_REPORT_ENABLED: 'false', STATE_RETENTION_DAYS: '2', LOG_LEVEL: 'info',
  });

  it('forgets the items of days older than the newest delivered one, and still delivers a late attack for them correctly', async () => {
    mkdirSync(join(dataDir, 'cowrie', 'log'), { recursive: true });
    writeFileSync(cowrieLog, login('198.51.100.1', '2025-03-10T10:00:00.000000Z'));
    assert.equal((await run()).status, 0);
    appendFileSync(cowrieLog, login('198.51.100.2', '2025-03-14T10:00:00.000000Z'));
    assert.equal((await run()).status, 0);
    assert.ok(itemsOf('2025-03-10') > 0, 'forgotten from the next run on');

    // Late: the same attacker again on the forgotten day, and a new one.
    appendFileSync(cowrieLog, login('198.51.100.1', '2025-03-10T11:00:00.000000Z') + login('198.51.100.3', '2025-03-10T12:00:00.000000Z'));
    const late = await run();
    assert.equal(late.status, 0, late.stderr);
    assert.match(late.stderr + late.stdout, /"forgotten":[1-9].*forgot what MISP holds of events older than STATE_RETENTION_DAYS/);
    const event = e2e.misp.events().find((e) => e.date === '2025-03-10')!;
    const sources = event.Attribute.filter((a) => a.type === 'ip-src').map((a) => a.value).sort();
    assert.deepEqual(sources, ['198.51.100.1', '198.51.100.3'], 'one attribute per address: the known one updated, the new one added');
    assert.equal(event.Object.filter((o) => o.name === 'cowrie').length, 2, 'one login object per address');
    assert.deepEqual(e2e.misp.specViolations, []);
    assert.deepEqual(e2e.misp.unreported, []);
    assert.ok(itemsOf('2025-03-14') > 0, 'recent days are remembered');
  });
});
