// Fault injection around a batch run (Elasticsearch → MISP): the process SIGKILLed at random points and started
// again, Elasticsearch's point in time expiring mid-read, Elasticsearch answering 429/502 for a while, and the
// state database deleted between runs. Every case ends with exactly the MISP content of an undisturbed run of
// the same data: nothing missing, nothing twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEsEmulator, type EsEmulator } from '../emulators/es-emulator.js';
import { startMispEmulator, type MispEmulator } from '../emulators/misp-emulator.js';
import { runCliAsync, startCli } from '../support/cli.js';
import { batchArgs, batchEnv, content, diff, sigkill, whileRunning } from '../support/faults.js';
import { generateTpotDocs, seededRandom } from '../../src/simulate/synthetic-tpot.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-faults-run-'));
// @timestamp cut to 5 minutes: about 14 documents share each timestamp, so page boundaries, checkpoints and a
// resumed point in time fall inside groups of equal timestamps (the `_shard_doc` tiebreaker's territory).
const FIVE_MINUTES = 5 * 60_000;
const docs = generateTpotDocs({ docs: 8_000, uniqueIps: 2_500, days: 2, seed: 31 }).docs.map((d) => ({
  ...d,
  '@timestamp': new Date(Math.floor(Date.parse(String(d['@timestamp'])) / FIVE_MINUTES) * FIVE_MINUTES).toISOString(),
}));

let es: EsEmulator;
let reference: string[];
let referenceWrites: number;

before(async () => {
  es = await startEsEmulator();
  es.add(docs);
  const misp = await startMispEmulator();
  try {
    const result = await runCliAsync(batchArgs(work, 'reference.db'), batchEnv(es, misp.url, misp.apiKey));
    assert.equal(result.status, 0, result.stderr);
    reference = content(misp);
    referenceWrites = misp.writeRequests();
    assert.deepEqual(misp.specViolations, []);
    assert.deepEqual(misp.unreported, []);
    assert.ok(referenceWrites >= 20, `the reference run made ${referenceWrites} write requests: too few for faults to land mid-run`);
  } finally {
    await misp.close();
  }
});

after(async () => {
  await es.close();
  rmSync(work, { recursive: true, force: true });
});

function assertSameContent(misp: MispEmulator, note = ''): void {
  const got = content(misp);
  assert.deepEqual(misp.specViolations, []);
  assert.deepEqual(misp.unreported, []);
  assert.ok(got.length === reference.length && got.every((line, i) => line === reference[i]), `${note}${diff(got, reference)}`);
}

function searches(on: EsEmulator = es): number {
  return on.requests.byEndpoint['POST /_search'] ?? 0;
}

function pitsOpened(on: EsEmulator = es): number {
  return on.requests.byEndpoint['POST /{index}/_pit'] ?? 0;
}

// Each case has its own MISP and state database; those that disturb Elasticsearch have their own too, so the
// cases run side by side.
describe('faults: the process, Elasticsearch and the state database', { concurrency: 2 }, () => {
  it('SIGKILLed at several random points of a run, started again each time: the content of an undisturbed run', async (t) => {
    const seed = Number(process.env['FAULT_SEED'] ?? Date.now() % 1_000_000);
    t.diagnostic(`FAULT_SEED=${seed}`);
    const random = seededRandom(seed);
    const misp = await startMispEmulator();
    const kills: string[] = [];
    try {
      for (let attempt = 0; attempt < 4; attempt++) {
        const { child, done } = startCli(batchArgs(work, 'killed.db'), batchEnv(es, misp.url, misp.apiKey));
        // Mostly while deliveries are under way (any moment between two requests, or during one), sometimes
        // at a random time after the start (reading Elasticsearch, opening the state database, …).
        const byWrites = random() < 0.75;
        const writesAtStart = misp.writeRequests();
        const target = byWrites ? writesAtStart + Math.max(1, Math.round((0.05 + random() * 0.3) * referenceWrites)) : 0;
        const startedAt = Date.now();
        const delay = 300 + random() * 2_500;
        const point = byWrites ? `after ${target - writesAtStart} more writes` : `${Math.round(delay)} ms after the start`;
        try {
          await whileRunning(done, () => (byWrites ? misp.writeRequests() >= target : Date.now() - startedAt >= delay), point);
        } catch {
          // The run finished before that point: nothing left to interrupt.
          const finished = await done;
          assert.equal(finished.status, 0, finished.stderr);
          kills.push(`${point}: the run completed first`);
          break;
        }
        sigkill(child);
        const killed = await done;
        assert.equal(killed.status, null, 'killed by a signal');
        kills.push(`${point} (${misp.writeRequests()} writes so far)`);
      }
      t.diagnostic(`kills: ${kills.join('; ')}`);
      assert.ok(kills.filter((k) => !k.includes('completed')).length >= 2, `at least two kills landed mid-run (seed ${seed}): ${kills.join('; ')}`);
      const last = await runCliAsync(batchArgs(work, 'killed.db'), batchEnv(es, misp.url, misp.apiKey));
      assert.equal(last.status, 0, last.stderr);
      assertSameContent(misp, `seed ${seed}, kills: ${kills.join('; ')}\n`);
    } finally {
      await misp.close();
    }
  });

  it('the point in time expires mid-read (search_context_missing_exception): a new one is opened and the read resumes within the run', async () => {
    const es = await startEsEmulator();
    es.add(docs);
    const misp = await startMispEmulator();
    try {
      const before = { searches: searches(es), pits: pitsOpened(es), expired: es.expiredPits };
      // After the 5th page (of 500, inside a run of equal timestamps), and once more further on.
      es.expirePits(5);
      const { done } = startCli(batchArgs(work, 'pit.db'), batchEnv(es, misp.url, misp.apiKey));
      await whileRunning(done, () => es.expiredPits > before.expired && searches(es) >= before.searches + 9, 'the first expiry and a few more pages');
      es.expirePits(2);
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
      assert.equal(es.expiredPits - before.expired, 2, 'both points in time expired mid-read');
      assert.equal(pitsOpened(es) - before.pits, 3, 'a new point in time after each expiry');
      assertSameContent(misp);
    } finally {
      await es.close();
      await misp.close();
    }
  });

  it('Elasticsearch answers 429 and then 502 for a while: the searches are retried within the run', async () => {
    const es = await startEsEmulator();
    es.add(docs);
    const misp = await startMispEmulator();
    try {
      const before = searches(es);
      es.failNext(429, 2, 3);
      const { done } = startCli(batchArgs(work, 'es-errors.db'), batchEnv(es, misp.url, misp.apiKey));
      // Failed searches are not counted: five answered ones mean both 429s are behind.
      await whileRunning(done, () => searches(es) >= before + 5, 'the 429s');
      es.failNext(502, 2);
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
      // Failed searches are logged but never reach the routes: two 429s and two 502s, each retried.
      const sent = es.log.filter((l) => l === 'POST /_search').length;
      assert.equal(sent - searches(es), 4, 'the four failed searches were sent again');
      assert.ok(searches(es) - before >= Math.ceil(docs.length * 0.85 / 500));
      assertSameContent(misp);
    } finally {
      await es.close();
      await misp.close();
    }
  });

  it('the state database is deleted between runs (and new documents arrive): MISP converges without duplicates', async () => {
    const growing = await startEsEmulator();
    const misp = await startMispEmulator();
    const db = join(work, 'deleted.db');
    try {
      growing.add(docs.slice(0, 5_000));
      const first = await runCliAsync(batchArgs(work, 'deleted.db'), batchEnv(growing, misp.url, misp.apiKey));
      assert.equal(first.status, 0, first.stderr);
      const partial = content(misp).length;
      for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
      growing.add(docs.slice(5_000));
      const second = await runCliAsync(batchArgs(work, 'deleted.db'), batchEnv(growing, misp.url, misp.apiKey));
      assert.equal(second.status, 0, second.stderr);
      assert.ok(partial < reference.length, 'the first run saw only part of the data');
      assertSameContent(misp);
      // Deleted once more with nothing new: everything is read and sent again, and MISP still holds it once.
      for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
      const third = await runCliAsync(batchArgs(work, 'deleted.db'), batchEnv(growing, misp.url, misp.apiKey));
      assert.equal(third.status, 0, third.stderr);
      assertSameContent(misp);
    } finally {
      await growing.close();
      await misp.close();
    }
  });
});
