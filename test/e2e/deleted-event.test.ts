// An analyst deletes one of the daily events in MISP (MISP blocklists its UUID by default). tpot2misp must respect
// that and keep going: the other events are still delivered, the deleted one is neither re-created nor retried on
// every run, nor published, and the report says what was not sent.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunReportJson } from '../../src/report.js';
import { startEnrichmentEmulator } from '../emulators/enrichment-emulator.js';
import { runCliAsync as runCli } from '../support/cli.js';
import { cowrieLine } from '../support/cowrie-log.js';
import { mispE2e } from '../support/misp-e2e.js';

const e2e = mispE2e('tpot2misp-deleted-');
const { work } = e2e;

const dataDir = join(work, 'data');
const cowrieLog = join(dataDir, 'cowrie', 'log', 'cowrie.json');
const reportDir = join(work, 'report');

function eventOn(day: string) {
  return e2e.misp.events().find((e) => e.date === day);
}

function sourcesOn(day: string): string[] {
  return (eventOn(day)?.Attribute ?? []).filter((a) => a.type === 'ip-src').map((a) => a.value).sort();
}

/** What an analyst does in MISP's UI or with PyMISP's delete_event. */
async function analystDeletes(day: string): Promise<void> {
  const event = eventOn(day);
  assert.ok(event, `an event for ${day}`);
  const response = await fetch(`${e2e.misp.url}/events/delete/${event.id}`, { method: 'DELETE', headers: { Authorization: e2e.misp.apiKey, Accept: 'application/json' } });
  assert.equal(response.status, 200, await response.text());
}

function report(): RunReportJson {
  return JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as RunReportJson;
}

describe('an event deleted in MISP by an analyst (files → MISP emulator)', () => {
  const args = (stateDb: string) => ['run', '--once', '--mode', 'files', '--data-dir', dataDir, '--output', 'misp', '--state-db', stateDb];
  const env = (extra: Record<string, string> = {}) => ({
    MISP_URL: e2e.misp.url, MISP_KEY: e2e.misp.apiKey, TPOT_HONEYPOTS: 'Cowrie', VALIDATION_REPORT_DIR: reportDir, VALIDATION_REPORT_FORMAT: 'json,txt', ...extra,
  });
  const stateDb = join(work, 'state.db');

  it('is not re-created, and does not stop the other events from being delivered', async () => {
    mkdirSync(join(dataDir, 'cowrie', 'log'), { recursive: true });
    writeFileSync(cowrieLog, cowrieLine('198.51.100.1', '2025-03-14T10:00:00.000000Z') + cowrieLine('198.51.100.2', '2025-03-15T10:00:00.000000Z'));
    const first = await runCli(args(stateDb), env());
    assert.equal(first.status, 0, first.stderr);
    assert.ok(eventOn('2025-03-14') && eventOn('2025-03-15'));

    await analystDeletes('2025-03-14');
    appendFileSync(cowrieLog, cowrieLine('198.51.100.3', '2025-03-14T11:00:00.000000Z') + cowrieLine('198.51.100.4', '2025-03-15T11:00:00.000000Z') + cowrieLine('198.51.100.5', '2025-03-16T11:00:00.000000Z'));
    const second = await runCli(args(stateDb), env());
    assert.equal(second.status, 0, second.stderr);
    assert.equal(eventOn('2025-03-14'), undefined, 'the analyst\'s deletion stands');
    assert.deepEqual(sourcesOn('2025-03-15'), ['198.51.100.2', '198.51.100.4']);
    assert.deepEqual(sourcesOn('2025-03-16'), ['198.51.100.5']);
    assert.match(second.stderr + second.stdout, /deleted/i);

    const json = report();
    assert.equal(json.outcome, 'completed');
    assert.equal(json.totals.eventsDeleted, 1);
    const deleted = json.buckets.filter((b) => b.eventDeleted).map((b) => b.day);
    assert.deepEqual(deleted, ['2025-03-14']);
    assert.match(readFileSync(join(reportDir, 'report.txt'), 'utf8'), /2025-03-14 .*DELETED in MISP/);
  });

  it('is not tried again on later runs, nor published', async () => {
    const writesBefore = e2e.misp.writeRequests();
    appendFileSync(cowrieLog, cowrieLine('198.51.100.6', '2025-03-14T12:00:00.000000Z'));
    const third = await runCli(args(stateDb), env({ AUTO_PUBLISH: 'true', PUBLISH_DELAY: '0' }));
    assert.equal(third.status, 0, third.stderr);
    assert.equal(eventOn('2025-03-14'), undefined);
    assert.equal(report().totals.eventsDeleted, 1, 'the report still says its new attacks were not sent');
    const publishes = e2e.misp.requestCounts()['POST /events/publish/{id}'] ?? 0;
    assert.equal(publishes, 2, 'the two events MISP holds are published, the deleted one is not asked for');
    assert.equal(e2e.misp.writeRequests() - writesBefore, publishes, 'nothing was sent to the deleted event');
  });

  it('spends no enrichment quota on its new attackers', async () => {
    const enrichment = await startEnrichmentEmulator();
    try {
      const withEnrichment = env({ ENRICHMENT_ENABLED: 'true', ABUSEIPDB_API_KEY: enrichment.keys.abuseipdb, ABUSEIPDB_URL: enrichment.baseUrls.abuseipdb });
      appendFileSync(cowrieLog, cowrieLine('198.51.100.30', '2025-03-14T14:00:00.000000Z'));
      const deletedOnly = await runCli(args(stateDb), withEnrichment);
      assert.equal(deletedOnly.status, 0, deletedOnly.stderr);
      assert.equal(enrichment.requests.abuseipdb, 0);
      // The same address attacking a day whose event MISP holds is looked up.
      appendFileSync(cowrieLog, cowrieLine('198.51.100.30', '2025-03-15T14:00:00.000000Z'));
      const kept = await runCli(args(stateDb), withEnrichment);
      assert.equal(kept.status, 0, kept.stderr);
      assert.equal(enrichment.requests.abuseipdb, 1);
    } finally {
      await enrichment.close();
    }
  });

  it('stays deleted when the state database is lost too (MISP blocklisted its UUID)', async () => {
    appendFileSync(cowrieLog, cowrieLine('198.51.100.7', '2025-03-14T13:00:00.000000Z') + cowrieLine('198.51.100.8', '2025-03-15T13:00:00.000000Z'));
    const fresh = join(work, 'fresh.db');
    const run = await runCli(args(fresh), env());
    assert.equal(run.status, 0, run.stderr);
    assert.equal(eventOn('2025-03-14'), undefined);
    assert.ok(sourcesOn('2025-03-15').includes('198.51.100.8'));
    assert.deepEqual(report().buckets.filter((b) => b.eventDeleted).map((b) => b.day), ['2025-03-14']);
  });
});
