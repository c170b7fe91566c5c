import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { EventChanges } from '../src/misp/build.js';
import { deliveredOf, StateStore } from '../src/state.js';
import { tallyOf } from '../src/tally.js';

const dir = mkdtempSync(join(tmpdir(), 'tpot2misp-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function changes(eventUuid: string, itemUuid: string, fingerprint: string): EventChanges {
  const tally = tallyOf({ time: 1000, port: '22/tcp' });
  return {
    honeypot: 'Cowrie',
    day: '2025-03-14',
    event: { uuid: eventUuid, info: 'x', date: '2025-03-14', distribution: '0', threat_level_id: '3', analysis: '2', published: false, Tag: [] },
    createEvent: true,
    attributes: [{ item: { uuid: itemUuid, type: 'ip-src', category: 'Network activity', value: '198.51.100.1', to_ids: true, comment: '', distribution: '5', disable_correlation: false }, isNew: true, tally, fingerprint }],
    objects: [],
  };
}

describe('StateStore', () => {
  it('records, per sink, what was delivered together with the checkpoint, and keeps it across reopen', () => {
    const path = join(dir, 'nested', 'state.db');
    const state = StateStore.open(path);
    assert.equal(state.checkpoint('files:/data'), undefined);
    assert.equal(state.ledger('feed:/out', 'e1').eventDelivered, false);
    state.commit('feed:/out', [deliveredOf(changes('e1', 'a1', 'fp1'))], { source: 'files:/data', cursor: { files: { 'x.json': { offset: 42 } } } });
    state.close();

    const reopened = StateStore.open(path);
    assert.deepEqual(reopened.checkpoint('files:/data'), { files: { 'x.json': { offset: 42 } } });
    const ledger = reopened.ledger('feed:/out', 'e1');
    assert.equal(ledger.eventDelivered, true);
    assert.equal(ledger.item('a1')?.fingerprint, 'fp1');
    assert.equal(ledger.item('a1')?.tally.count, 1);
    assert.equal(reopened.ledger('misp:https://misp', 'e1').eventDelivered, false, 'another sink holds nothing yet');
    reopened.commit('feed:/out', [deliveredOf(changes('e1', 'a1', 'fp2'))]);
    assert.equal(reopened.ledger('feed:/out', 'e1').item('a1')?.fingerprint, 'fp2');
    reopened.close();
  });

  it('fails with T2M_STATE_CORRUPT and a hint when the file is not a database', () => {
    const path = join(dir, 'garbage.db');
    writeFileSync(path, 'this is not sqlite'.repeat(100));
    assert.throws(() => StateStore.open(path), (error: { code?: string; hint?: string }) => error.code === 'T2M_STATE_CORRUPT' && typeof error.hint === 'string');
  });

  it('upgrades a schema-1 database in place and tracks when each event is due to be published', () => {
    const path = join(dir, 'v1.db');
    const old = new Database(path);
    old.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '1');");
    old.exec('CREATE TABLE delivered_event (sink TEXT NOT NULL, uuid TEXT NOT NULL, honeypot TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (sink, uuid)) WITHOUT ROWID;');
    old.exec("INSERT INTO delivered_event VALUES ('misp:x', 'old', 'Cowrie', '2025-03-01');");
    old.close();
    const state = StateStore.open(path);
    // An event delivered before the upgrade counts as long quiet.
    assert.deepEqual(state.duePublish('misp:x', '2025-03-20', 0).map((e) => e.uuid), ['old']);
    state.markPublished('misp:x', 'old', 5_000);
    state.commit('misp:x', [deliveredOf(changes('e1', 'i1', 'f1'))], undefined, 10_000);
    assert.deepEqual(state.duePublish('misp:x', '2025-03-20', 9_999), [], 'not quiet long enough');
    assert.deepEqual(state.duePublish('misp:x', '2025-03-14', 10_000), [], 'its day has not ended');
    assert.deepEqual(state.duePublish('misp:x', '2025-03-15', 10_000).map((e) => e.uuid), ['e1']);
    state.markPublished('misp:x', 'e1', 20_000);
    assert.deepEqual(state.duePublish('misp:x', '2025-03-15', 30_000), []);
    state.commit('misp:x', [deliveredOf(changes('e1', 'i2', 'f2'))], undefined, 40_000);
    assert.deepEqual(state.duePublish('misp:x', '2025-03-15', 40_000).map((e) => e.uuid), ['e1'], 'a change makes it due again');
    state.close();
  });

  it('upgrades a schema-4 ledger: its items read as delivered present, and an item delivered deleted is remembered as such', () => {
    const path = join(dir, 'v4.db');
    const old = new Database(path);
    old.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '4');");
    old.exec('CREATE TABLE delivered_event (sink TEXT NOT NULL, uuid TEXT NOT NULL, honeypot TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (sink, uuid)) WITHOUT ROWID;');
    old.exec('CREATE TABLE delivered_item (sink TEXT NOT NULL, uuid TEXT NOT NULL, event_uuid TEXT NOT NULL, fingerprint TEXT NOT NULL, tally TEXT NOT NULL, tags TEXT, PRIMARY KEY (sink, uuid)) WITHOUT ROWID;');
    old.exec("INSERT INTO delivered_event VALUES ('misp:x', 'e1', 'Cowrie', '2025-03-14');");
    old.prepare("INSERT INTO delivered_item VALUES ('misp:x', 'old', 'e1', 'f', ?, NULL)").run(JSON.stringify(tallyOf({ time: 1000 })));
    old.close();
    const state = StateStore.open(path);
    assert.equal(state.ledger('misp:x', 'e1').item('old')?.deleted, undefined);
    const removed = changes('e1', 'gone', 'f2');
    state.commit('misp:x', [deliveredOf({ ...removed, attributes: removed.attributes.map((c) => ({ ...c, item: { ...c.item, deleted: true } })) })]);
    assert.equal(state.ledger('misp:x', 'e1').item('gone')?.deleted, true);
    state.commit('misp:x', [deliveredOf(changes('e1', 'gone', 'f3'))]);
    assert.equal(state.ledger('misp:x', 'e1').item('gone')?.deleted, undefined, 'restored');
    state.close();
  });

  it('forgets the items of events more than STATE_RETENTION_DAYS before the newest day, keeping the events', () => {
    const state = StateStore.open(':memory:');
    const on = (day: string, event: string, item: string) => ({ ...deliveredOf(changes(event, item, 'f')), day });
    state.commit('misp:x', [on('2025-01-01', 'jan', 'i-jan')], undefined, 1_000);
    state.markDeleted('misp:x', { uuid: 'deleted-jan', honeypot: 'Cowrie', day: '2025-01-02' });
    assert.deepEqual(state.forgetOldItems(30), { forgotten: 0, keptFrom: '2024-12-03' }, 'counted from the newest day delivered, not from today');
    state.commit('misp:x', [on('2025-02-15', 'feb', 'i-feb'), on('2025-03-01', 'mar', 'i-mar')], undefined, 2_000);
    assert.deepEqual(state.forgetOldItems(0), { forgotten: 0 }, '0: never');
    assert.deepEqual(state.forgetOldItems(30), { forgotten: 1, keptFrom: '2025-01-30' });
    assert.equal(state.ledger('misp:x', 'jan').item('i-jan'), undefined);
    assert.ok(state.ledger('misp:x', 'jan').eventDelivered, 'the event row stays');
    assert.ok(state.ledger('misp:x', 'feb').item('i-feb'));
    assert.ok(state.ledger('misp:x', 'mar').item('i-mar'));
    assert.ok(state.isDeleted('misp:x', 'deleted-jan'), 'a deletion is not forgotten');
    assert.deepEqual(state.forgetOldItems(30), { forgotten: 0, keptFrom: '2025-01-30' }, 'once per day');
    state.close();
  });

  it('does not count a day after today: a sensor clock years ahead does not make it forget everything', () => {
    const state = StateStore.open(':memory:');
    state.commit('misp:x', [{ ...deliveredOf(changes('now', 'i-now', 'f')), day: '2025-03-01' }, { ...deliveredOf(changes('future', 'i-future', 'f')), day: '2199-12-31' }], undefined, 1_000);
    assert.deepEqual(state.forgetOldItems(30, '2025-03-02'), { forgotten: 0, keptFrom: '2025-01-31' });
    assert.ok(state.ledger('misp:x', 'now').item('i-now'));
    state.close();
  });
});
