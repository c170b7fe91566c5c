import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { DailyBucket } from '../../src/aggregate.js';
import { AttackerIpPolicy } from '../../src/attacker-ip-policy.js';
import type { AttackEvent } from '../../src/attack-event.js';
import { extractIndicators } from '../../src/indicators.js';
import { buildEventChanges } from '../../src/misp/build.js';
import { Tpot2MispError } from '../../src/errors.js';
import { MispRestSink } from '../../src/misp/rest-sink.js';
import { startMispEmulator, type MispEmulator } from '../emulators/misp-emulator.js';

const settings = { uuidNamespace: '70423ab8-5c81-4fa9-ae8c-7415a7c21621', distribution: 0, threatLevel: 3, analysis: 2, tags: [] };

function changesOf(events: Partial<AttackEvent>[]) {
  const bucket = new DailyBucket('Tanner', '2025-03-14');
  for (const e of events) {
    const event = { honeypot: 'Tanner', srcIp: '198.51.100.23', time: Date.UTC(2025, 2, 14, 9), ...e } as AttackEvent;
    const observation = extractIndicators(event, new AttackerIpPolicy());
    assert.ok(!('skip' in observation));
    bucket.add(observation, event.time);
  }
  return buildEventChanges(bucket, { eventDelivered: false, item: () => undefined }, settings);
}

/** A sink (no retries) on a fresh MISP emulator, both closed after `test`; `path` is appended to the emulator's URL. */
async function withSink(test: (sink: MispRestSink, misp: MispEmulator) => Promise<void>, path = ''): Promise<void> {
  const misp = await startMispEmulator();
  const sink = new MispRestSink({ url: `${misp.url}${path}`, key: misp.apiKey, verifySsl: false, batchSize: 50, timeoutMs: 5000, retry: { maxRetries: 0 } });
  try {
    await test(sink, misp);
  } finally {
    await sink.close();
    await misp.close();
  }
}

describe('MispRestSink', () => {
  it('reports an attribute refused by the duplicate rule alone as rejected, and sends no edit MISP would drop quietly', async () => {
    await withSink(async (sink, misp) => {
      const changes = changesOf([{ requests: [{ method: 'GET', path: '/wp-login.php' }] }]);
      // The event exists and someone else's attribute (an analyst's, or a tpot2misp before this one) holds the value.
      await sink.apply([{ ...changes, attributes: changes.attributes.filter((a) => a.item.type === 'ip-src') }]);
      const added = await request(`${misp.url}/attributes/add/${changes.event.uuid}`, {
        method: 'POST',
        headers: { authorization: misp.apiKey, accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'uri', category: 'Network activity', value: '/WP-LOGIN.php' }),
      });
      assert.equal(added.statusCode, 200);
      await added.body.dump();
      const [delivery] = await sink.apply([{ ...changes, createEvent: false, attributes: changes.attributes.filter((a) => a.item.type === 'uri') }]);
      assert.equal(delivery!.alreadyPresent, 0);
      assert.equal(delivery!.rejected.length, 1);
      assert.match(delivery!.rejected[0]!.reason, /similar attribute already exists/);
      assert.deepEqual(misp.unreported, []);
    });
  });

  it('reports an event deleted in MISP (edits answer 404 "Invalid event", a re-creation the blocklist) as deleted, sending nothing more', async () => {
    await withSink(async (sink, misp) => {
      const changes = changesOf([{ requests: [{ method: 'GET', path: '/wp-login.php' }] }]);
      await sink.apply([changes]);
      const deleted = await request(`${misp.url}/events/delete/${changes.event.uuid}`, { method: 'DELETE', headers: { authorization: misp.apiKey, accept: 'application/json' } });
      assert.equal(deleted.statusCode, 200);
      await deleted.body.dump();
      const none = { eventCreated: false, attributesAdded: 0, attributesUpdated: 0, objectsAdded: 0, objectsUpdated: 0, alreadyPresent: 0, rejected: [], eventDeleted: true };
      // Known to the ledger: the attributes are updates, sent as an event edit.
      const writes = misp.writeRequests();
      const [update] = await sink.apply([{ ...changes, createEvent: false, attributes: changes.attributes.map((a) => ({ ...a, isNew: false })) }]);
      assert.deepEqual(update, { eventUuid: changes.event.uuid, ...none });
      assert.equal(misp.writeRequests() - writes, 1, 'the first refusal ends the delivery');
      // Unknown to the ledger (the state file was lost): the event would be created again, but MISP blocklisted it.
      const [create] = await sink.apply([changes]);
      assert.deepEqual(create, { eventUuid: changes.event.uuid, ...none });
      assert.equal(await sink.publish(changes.event.uuid), 'deleted');
      assert.equal(misp.events().length, 0);
    });
  });

  it('names MISP_URL when the first request answers 404 (a path after MISP\'s base URL)', async () => {
    await withSink(async (sink) => {
      await assert.rejects(sink.apply([changesOf([{}])]), (error: Tpot2MispError) => error.code === 'T2M_MISP_HTTP' && /^MISP_URL must be MISP's base URL/.test(error.hint ?? ''));
    }, '/misp');
  });

  describe('MISP_CONCURRENCY', () => {
    // 201 new attributes (one address, 200 paths): five batches of 50, independent of each other.
    const changes = changesOf(Array.from({ length: 200 }, (_, i) => ({ requests: [{ method: 'GET', path: `/cgi-bin/probe-${i}` }] })));
    // Another 200 paths for the same event, delivered after it.
    const more = { ...changesOf(Array.from({ length: 200 }, (_, i) => ({ requests: [{ method: 'GET', path: `/cgi-bin/other-${i}` }] }))), createEvent: false };
    const deliver = async (concurrency: number, fault?: { status: number }) => {
      // Writes take a while, as on a real MISP, so that requests sent together overlap.
      const misp = await startMispEmulator({ writeLatencyMs: 40 });
      const sink = new MispRestSink({ url: misp.url, key: misp.apiKey, verifySsl: false, batchSize: 50, concurrency, timeoutMs: 5000, retry: { maxRetries: 0 } });
      try {
        if (fault !== undefined) {
          // The first delivery opens the connections; the next one's batches then reach MISP together, the first of
          // them refused at once while the others are still being written.
          await sink.apply([changes]);
          misp.injectFaults({ count: 1, status: fault.status, pathPrefix: '/attributes/add' });
        }
        const outcome = await sink.apply([fault === undefined ? changes : more]).then(
          ([delivery]) => ({ delivery: delivery! }),
          (error: unknown) => ({ error, answeringWhenFailed: misp.concurrentRequests().now }),
        );
        const attributes = misp.events().flatMap((e) => e.Attribute.map((a) => `${a.uuid} ${a.type} ${a.value} ${a.to_ids} ${a.comment}`)).sort();
        return { outcome, attributes, peak: misp.concurrentRequests().peak, violations: misp.specViolations };
      } finally {
        await sink.close();
        await misp.close();
      }
    };

    it('sends the batches of new attributes together, at most MISP_CONCURRENCY at once, with the same result as one at a time', async () => {
      const serial = await deliver(1);
      const parallel = await deliver(3);
      assert.equal(serial.peak, 1);
      assert.equal(parallel.peak, 3);
      assert.equal(parallel.attributes.length, 201);
      assert.deepEqual(parallel.attributes, serial.attributes);
      assert.deepEqual(parallel.outcome, serial.outcome);
      assert.deepEqual(parallel.violations, []);
    });

    it('a batch that fails fails the delivery only once the others sent with it have been answered', async () => {
      const failed = await deliver(3, { status: 500 });
      assert.ok('error' in failed.outcome, 'the delivery failed');
      assert.ok(failed.outcome.error instanceof Tpot2MispError, String(failed.outcome.error));
      assert.equal(failed.outcome.answeringWhenFailed, 0, 'nothing may still be writing to MISP once a delivery has failed');
    });
  });

  it('treats a UUID MISP already holds as present, and updates it (a batch saved whose answer was lost)', async () => {
    await withSink(async (sink, misp) => {
      const once = changesOf([{ requests: [{ method: 'GET', path: '/wp-login.php' }] }]);
      await sink.apply([once]);
      const twice = changesOf([{ requests: [{ method: 'GET', path: '/wp-login.php' }] }, { requests: [{ method: 'GET', path: '/wp-login.php' }] }]);
      const [delivery] = await sink.apply([{ ...twice, createEvent: false }]);
      assert.equal(delivery!.alreadyPresent, 2);
      assert.deepEqual(delivery!.rejected, []);
      const uri = misp.events()[0]!.Attribute.find((a) => a.type === 'uri');
      assert.match(uri!.comment, /\b2 hits\b/);
      assert.deepEqual(misp.unreported, []);
    });
  });
});
