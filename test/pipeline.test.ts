import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { allHoneypots } from '../src/honeypots/registry.js';
import type { EventChanges } from '../src/misp/build.js';
import type { EventDelivery, Sink } from '../src/misp/sink.js';
import { Metrics, type Mode } from '../src/observability/metrics.js';
import { runPipeline } from '../src/pipeline.js';
import { RunReport } from '../src/report.js';
import type { Source } from '../src/sources/source.js';
import { generateTpotDocs } from '../src/simulate/synthetic-tpot.js';
import { StateStore } from '../src/state.js';

/** A MISP that takes its time (so that the pipeline builds the next part meanwhile), and may fail. */
class SlowSink implements Sink {
  readonly id = 'slow:1';
  running = 0;
  calls = 0;
  constructor(readonly fails: boolean) {}
  async apply(changes: readonly EventChanges[]): Promise<EventDelivery[]> {
    this.calls++;
    this.running++;
    await sleep(150);
    this.running--;
    if (this.fails) throw new Error('the sink failed');
    return changes.map((c) => ({ eventUuid: c.event.uuid, eventCreated: c.createEvent, attributesAdded: c.attributes.length, attributesUpdated: 0, objectsAdded: c.objects.length, objectsUpdated: 0, alreadyPresent: 0, rejected: [] }));
  }
  async close(): Promise<void> {}
}

describe('flush: the next part is built while the previous one is delivered', () => {
  const docs = generateTpotDocs({ docs: 300, uniqueIps: 40, days: 1, seed: 3 }).docs;
  const source: Source = {
    name: 'generated',
    async *batches() {
      yield { records: docs.map((doc) => ({ doc })), cursor: 1 };
    },
    async close() {},
  };
  /** A state store whose ledger fails for the second event built (a disk error, a damaged row). */
  const failingSecondLedger = () => {
    const state = StateStore.open(':memory:');
    const real = state.ledger.bind(state);
    let ledgers = 0;
    state.ledger = (sink, uuid) => {
      if (++ledgers === 2) throw new Error('the ledger failed');
      return real(sink, uuid);
    };
    return state;
  };
  const run = (sink: Sink, state: StateStore) =>
    runPipeline({
      source,
      sink,
      state,
      report: new RunReport({ mode: 'files', output: 'misp', source: 'generated', sink: sink.id }),
      log: pino({ level: 'silent' }),
      honeypots: allHoneypots().map((h) => h.type),
      build: { uuidNamespace: '6ba7b810-9dad-11d1-80b4-00c04fd430c8', distribution: 0, threatLevel: 4, analysis: 0, tags: [] },
      ipPolicy: { sensorIps: [], excludeIps: [], allowPrivate: false },
    });

  it('a build that fails while a part is on the wire fails the run only once that delivery has settled, and commits nothing', async () => {
    const sink = new SlowSink(false);
    const state = failingSecondLedger();
    await assert.rejects(run(sink, state), /the ledger failed/);
    assert.equal(sink.calls, 1);
    assert.equal(sink.running, 0, 'nothing may still be writing to MISP once the run has failed');
    assert.equal(state.checkpoint('generated'), undefined);
    state.close();
  });

  it('when that delivery fails too, the sink failure is the one reported (as without the overlap)', async () => {
    const sink = new SlowSink(true);
    const state = failingSecondLedger();
    await assert.rejects(run(sink, state), /the sink failed/);
    assert.equal(sink.running, 0);
    state.close();
  });

  it('the sink finishes each delivery (the feed writes its manifest) after its last part and before the commit', async () => {
    const sink = new SlowSink(false);
    const state = StateStore.open(':memory:');
    const seen: { calls: number; checkpoint: unknown }[] = [];
    const finishing: Sink = { id: sink.id, apply: (changes) => sink.apply(changes), close: () => sink.close(), finishDelivery: async () => void seen.push({ calls: sink.calls, checkpoint: state.checkpoint('generated') }) };
    const result = await run(finishing, state);
    assert.deepEqual(seen, [{ calls: result.eventsDelivered, checkpoint: undefined }]);
    assert.deepEqual(state.checkpoint('generated'), 1);
    state.close();
  });

  it('without failures every event is delivered, one part at a time, and the checkpoint moves', async () => {
    const sink = new SlowSink(false);
    const state = StateStore.open(':memory:');
    let concurrent = 0;
    const apply = sink.apply.bind(sink);
    sink.apply = async (changes) => {
      concurrent = Math.max(concurrent, sink.running + 1);
      return apply(changes);
    };
    const result = await run(sink, state);
    assert.ok(result.eventsDelivered >= 2, `${result.eventsDelivered} events`);
    assert.equal(sink.calls, result.eventsDelivered);
    assert.equal(concurrent, 1, 'parts reach the sink one after the other');
    assert.deepEqual(state.checkpoint('generated'), 1);
    state.close();
  });
});

describe('the validation report counts what was committed', () => {
  const docs = generateTpotDocs({ docs: 600, uniqueIps: 60, days: 2, seed: 5 }).docs;
  /** Batches of 50 documents; the cursor is the batch number, and a run resumes after the checkpoint. */
  const source: Source = {
    name: 'generated',
    async *batches(after) {
      for (let n = 1; n * 50 <= docs.length; n++) {
        if (typeof after === 'number' && n <= after) continue;
        yield { records: docs.slice((n - 1) * 50, n * 50).map((doc) => ({ doc })), cursor: n };
      }
    },
    async close() {},
  };
  /** Fails its `failAt`-th call (1-based), before anything reaches MISP. */
  const sinkFailingAt = (failAt: number): Sink => {
    let calls = 0;
    return {
      id: 'flaky:1',
      async apply(changes) {
        if (++calls === failAt) throw new Error('MISP answered 503');
        return changes.map((c) => ({ eventUuid: c.event.uuid, eventCreated: c.createEvent, attributesAdded: c.attributes.length, attributesUpdated: 0, objectsAdded: c.objects.length, objectsUpdated: 0, alreadyPresent: 0, rejected: [] }));
      },
      async close() {},
    };
  };
  const run = (sink: Sink, state: StateStore, report: RunReport, metrics?: Metrics, mode: Mode = 'realtime') =>
    runPipeline({
      ...(metrics !== undefined && { metrics }),
      mode,
      source,
      sink,
      state,
      report,
      log: pino({ level: 'silent' }),
      honeypots: allHoneypots().map((h) => h.type),
      build: { uuidNamespace: '6ba7b810-9dad-11d1-80b4-00c04fd430c8', distribution: 0, threatLevel: 4, analysis: 0, tags: [] },
      ipPolicy: { sensorIps: [], excludeIps: [], allowPrivate: false },
      // Several commits per run, so that a failure can come after some of them.
      flushThreshold: 40,
    });
  const newReport = () => new RunReport({ mode: 'realtime', output: 'misp', source: 'generated', sink: 'flaky:1' });
  const content = (report: RunReport) => {
    const { startedAt, finishedAt, ...rest } = report.toJson();
    assert.ok(startedAt <= finishedAt);
    return rest;
  };

  for (const failAt of [1, 4, 9]) {
    it(`a flush that fails (sink call ${failAt}) and is retried counts its documents once, as an undisturbed run does`, async () => {
      const undisturbed = newReport();
      const clean = StateStore.open(':memory:');
      await run(sinkFailingAt(0), clean, undisturbed);
      clean.close();

      // Realtime keeps one report for the day across flushes; the second pass re-reads what the failed one had read.
      const report = newReport();
      const state = StateStore.open(':memory:');
      await assert.rejects(run(sinkFailingAt(failAt), state, report), /503/);
      const committedBefore = report.toJson().totals.records;
      assert.ok(committedBefore < docs.length);
      await run(sinkFailingAt(0), state, report);
      state.close();

      assert.equal(report.toJson().totals.records, docs.length);
      assert.deepEqual(content(report), content(undisturbed));
    });

    it(`the counters of attacks and skipped documents count each once, too, after a failed flush (sink call ${failAt}) and its retry`, async () => {
      const counters = async (metrics: Metrics) => {
        const json = await metrics.registry.getMetricsAsJSON();
        const pick = (name: string) => json.find((m) => m.name === name)?.values.map((v) => `${JSON.stringify(v.labels)} ${v.value}`).sort() ?? [];
        return { processed: pick('tpot2misp_events_processed_total'), skipped: pick('tpot2misp_documents_skipped_total'), received: pick('tpot2misp_source_documents_received_total') };
      };
      const undisturbed = new Metrics();
      const clean = StateStore.open(':memory:');
      await run(sinkFailingAt(0), clean, newReport(), undisturbed);
      clean.close();

      const metrics = new Metrics();
      const state = StateStore.open(':memory:');
      await assert.rejects(run(sinkFailingAt(failAt), state, newReport(), metrics), /503/);
      await run(sinkFailingAt(0), state, newReport(), metrics);
      state.close();

      const expected = await counters(undisturbed);
      assert.ok(expected.processed.length > 0 && expected.skipped.length > 0);
      assert.deepEqual(await counters(metrics), expected);
      // Realtime counts a message once, when it arrives (realtime.ts), not each time a flush reads the outbox.
      assert.deepEqual(expected.received, []);
    });
  }

  it('batch and files modes count every document read as received, once', async () => {
    const metrics = new Metrics();
    const state = StateStore.open(':memory:');
    await run(sinkFailingAt(0), state, newReport(), metrics, 'files');
    state.close();
    const received = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'tpot2misp_source_documents_received_total');
    assert.deepEqual(received?.values.map((v) => [v.labels, v.value]), [[{ source: 'files' }, docs.length]]);
  });
});

describe('attack times', () => {
  it('skips an attack dated more than a day ahead (a sensor clock gone wrong) instead of creating an event for that day', async () => {
    const at = (ms: number, ip: string) => ({ doc: { type: 'Cowrie', '@timestamp': new Date(ms).toISOString(), src_ip: ip, eventid: 'cowrie.session.connect', dest_port: 22 } });
    const source: Source = {
      name: 'clock',
      async *batches() {
        // Hours ahead passes (a naive local time read as UTC); years ahead does not.
        yield { records: [at(Date.now() - 3_600_000, '198.51.100.1'), at(Date.now() + 5 * 3_600_000, '198.51.100.2'), at(Date.UTC(2199, 0, 1), '198.51.100.3')], cursor: 1 };
      },
      async close() {},
    };
    const days: string[] = [];
    const sink: Sink = {
      id: 'days:1',
      apply: async (changes) => {
        days.push(...changes.map((c) => c.day));
        return changes.map((c) => ({ eventUuid: c.event.uuid, eventCreated: true, attributesAdded: c.attributes.length, attributesUpdated: 0, objectsAdded: 0, objectsUpdated: 0, alreadyPresent: 0, rejected: [] }));
      },
      close: async () => {},
    };
    const report = new RunReport({ mode: 'batch', output: 'misp', source: 'clock', sink: sink.id });
    const state = StateStore.open(':memory:');
    const result = await runPipeline({
      source, sink, state, report, log: pino({ level: 'silent' }), honeypots: ['Cowrie'],
      build: { uuidNamespace: '6ba7b810-9dad-11d1-80b4-00c04fd430c8', distribution: 0, threatLevel: 4, analysis: 0, tags: [] },
      ipPolicy: { sensorIps: [], excludeIps: [], allowPrivate: false },
    });
    state.close();
    assert.equal(result.attacks, 2);
    assert.ok(!days.includes('2199-01-01'));
    assert.deepEqual(report.toJson().skipped, { Cowrie: { future_timestamp: 1 } });
  });
});
