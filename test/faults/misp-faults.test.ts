// Fault injection on the MISP side of a batch run (Elasticsearch → MISP): MISP answering 503, down for a while,
// slow or silent, refusing connections, or applying a request whose answer never arrives. Every case ends
// with exactly the MISP content of an undisturbed run of the same data: nothing missing, nothing twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEsEmulator, type EsEmulator } from '../emulators/es-emulator.js';
import { startMispEmulator, type MispEmulator } from '../emulators/misp-emulator.js';
import { runCliAsync, startCli } from '../support/cli.js';
import { batchArgs, batchEnv, content, diff, startMispProxy, whileRunning } from '../support/faults.js';
import { generateTpotDocs } from '../../src/simulate/synthetic-tpot.js';

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-faults-misp-'));
const set = generateTpotDocs({ docs: 8_000, uniqueIps: 2_500, days: 2, seed: 23 });

let es: EsEmulator;
let reference: string[];
/** Write requests of the undisturbed run: "mid-run" is a fraction of it. */
let referenceWrites: number;

before(async () => {
  es = await startEsEmulator();
  es.add(set.docs);
  const misp = await startMispEmulator();
  try {
    const result = await runCliAsync(batchArgs(work, 'reference.db'), batchEnv(es, misp.url, misp.apiKey));
    assert.equal(result.status, 0, result.stderr);
    reference = content(misp);
    referenceWrites = misp.writeRequests();
    assert.deepEqual(misp.specViolations, []);
    assert.deepEqual(misp.unreported, []);
    assert.ok(referenceWrites >= 20, `the reference run made ${referenceWrites} write requests: too few for faults to land mid-run`);
    assert.ok(reference.length > 2_000, `${reference.length} lines of MISP content`);
  } finally {
    await misp.close();
  }
});

after(async () => {
  await es.close();
  rmSync(work, { recursive: true, force: true });
});

/** Requests the emulator answered with an injected fault (they never reached its routes). */
function faulted(misp: MispEmulator): number {
  return misp.totalRequests() - Object.values(misp.requestCounts()).reduce((n, c) => n + c, 0);
}

function assertSameContent(misp: MispEmulator): void {
  const got = content(misp);
  assert.deepEqual(misp.specViolations, []);
  assert.deepEqual(misp.unreported, []);
  assert.ok(got.length === reference.length && got.every((line, i) => line === reference[i]), diff(got, reference));
}

// The cases share only the (undisturbed) Elasticsearch; each has its own MISP, proxy and state database, and
// most of their time is spent waiting out retries: they run side by side.
describe('faults: MISP misbehaves in the middle of a batch run', { concurrency: 3 }, () => {
  it('answers 503 to three requests in a row: the client retries them within the run', async () => {
    const misp = await startMispEmulator();
    try {
      const { done } = startCli(batchArgs(work, '503.db'), batchEnv(es, misp.url, misp.apiKey));
      await whileRunning(done, () => misp.writeRequests() >= referenceWrites / 3, 'a third of the writes');
      misp.injectFaults({ count: 3, status: 503 });
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
      assert.equal(faulted(misp), 3, 'all three 503s were met (and retried)');
      assertSameContent(misp);
    } finally {
      await misp.close();
    }
  });

  it('is down (503) for 3 seconds: the retries outlast it, the run completes', async () => {
    const misp = await startMispEmulator();
    try {
      const { done } = startCli(batchArgs(work, 'outage.db'), batchEnv(es, misp.url, misp.apiKey));
      await whileRunning(done, () => misp.writeRequests() >= referenceWrites / 2, 'half of the writes');
      misp.outage(Date.now() + 3_000);
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
      assert.ok(faulted(misp) >= 2, `${faulted(misp)} requests met the outage`);
      assertSameContent(misp);
    } finally {
      await misp.close();
    }
  });

  it('is down longer than the retries last (MISP_RETRIES): the run fails with one clear line, the next run completes the content', async (t) => {
    const misp = await startMispEmulator();
    try {
      const { done } = startCli(batchArgs(work, 'long-outage.db'), { ...batchEnv(es, misp.url, misp.apiKey), MISP_RETRIES: '2' });
      await whileRunning(done, () => misp.writeRequests() >= referenceWrites / 3, 'a third of the writes');
      // MISP_RETRIES=2: the client waits 0.5 + 1 s between its two retries; 6 s of 503 outlast them.
      misp.outage(Date.now() + 6_000);
      const failed = await done;
      assert.equal(failed.status, 1, failed.stderr);
      assert.match(failed.stderr, /T2M_MISP_HTTP/);
      assert.match(failed.stderr, /MISP kept answering HTTP 503/);
      assert.equal(failed.stderr.split('\n').filter((l) => /^tpot2misp: error \[T2M_MISP_HTTP\]/.test(l)).length, 1, failed.stderr);
      t.diagnostic(failed.stderr.trim().split('\n')[0]!);
      assert.ok(misp.events().length > 0, 'part of the content was delivered before the outage');
      // Each request on the wire (MISP_CONCURRENCY=2 here) tries once and retries twice; none starts after.
      assert.ok(faulted(misp) <= 2 * 3, `${faulted(misp)} requests met the outage: two requests, each one plus two retries, at most`);
      misp.outage(0);
      const rerun = await runCliAsync(batchArgs(work, 'long-outage.db'), batchEnv(es, misp.url, misp.apiKey));
      assert.equal(rerun.status, 0, rerun.stderr);
      assertSameContent(misp);
    } finally {
      await misp.close();
    }
  });

  it('applies batches whose answers are lost (connection cut after MISP saved them): the re-sent batches are recognised, not doubled', async () => {
    const misp = await startMispEmulator();
    const proxy = await startMispProxy(misp.url);
    try {
      const { done } = startCli(batchArgs(work, 'dropped.db'), batchEnv(es, proxy.url, misp.apiKey));
      await whileRunning(done, () => misp.writeRequests() >= referenceWrites / 4, 'a quarter of the writes');
      proxy.inject({ kind: 'applied-then-dropped', count: 2, pathPrefix: '/attributes/add/' });
      proxy.inject({ kind: 'applied-then-dropped', count: 1, pathPrefix: '/events/add' });
      proxy.inject({ kind: 'applied-then-dropped', count: 1, pathPrefix: '/events/edit/' });
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
      assert.equal(proxy.happened['applied-then-dropped'], 4, 'every lost answer happened, and the run went on');
      assertSameContent(misp);
    } finally {
      await proxy.close();
      await misp.close();
    }
  });

  it('times out: a gateway answers 504 after MISP applied the request, or the connection stays silent and is cut', async () => {
    const misp = await startMispEmulator();
    const proxy = await startMispProxy(misp.url);
    try {
      const { done } = startCli(batchArgs(work, 'timeout.db'), batchEnv(es, proxy.url, misp.apiKey));
      await whileRunning(done, () => misp.writeRequests() >= referenceWrites / 3, 'a third of the writes');
      proxy.inject({ kind: 'applied-then-gateway-timeout', count: 1, pathPrefix: '/events/edit/', delayMs: 1_500 });
      proxy.inject({ kind: 'silent-then-dropped', count: 1, pathPrefix: '/attributes/add/', delayMs: 1_500 });
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
      assert.equal(proxy.happened['applied-then-gateway-timeout'], 1);
      assert.equal(proxy.happened['silent-then-dropped'], 1);
      assertSameContent(misp);
    } finally {
      await proxy.close();
      await misp.close();
    }
  });

  it('refuses connections for 2.5 seconds: the client reconnects within the run', async () => {
    const misp = await startMispEmulator();
    const proxy = await startMispProxy(misp.url);
    try {
      const { done } = startCli(batchArgs(work, 'refused.db'), batchEnv(es, proxy.url, misp.apiKey));
      await whileRunning(done, () => misp.writeRequests() >= referenceWrites / 2, 'half of the writes');
      const writesBefore = misp.writeRequests();
      await proxy.refuseFor(2_500);
      // At most the requests already on their way (MISP_CONCURRENCY=2 here) reach MISP.
      assert.ok(misp.writeRequests() - writesBefore <= 2, 'nothing got through while the port was closed');
      const result = await done;
      assert.equal(result.status, 0, result.stderr);
      assert.ok(misp.writeRequests() > writesBefore, 'the run went on after the port opened again');
      assertSameContent(misp);
    } finally {
      await proxy.close();
      await misp.close();
    }
  });
});
