import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEsEmulator, type EsEmulator } from '../emulators/es-emulator.js';
import { until } from '../support/until.js';
import { allHoneypots } from '../../src/honeypots/registry.js';
import { EsClient } from '../../src/sources/elasticsearch/es-client.js';
import { createElasticsearchSource } from '../../src/sources/elasticsearch.js';
import { generateTpotDocs } from '../../src/simulate/synthetic-tpot.js';

describe('Elasticsearch source: the next page is asked for while the pipeline works on the current one', () => {
  let es: EsEmulator;
  const set = { docs: 600, uniqueIps: 50, days: 1, seed: 7 };
  before(async () => {
    es = await startEsEmulator();
    es.add(generateTpotDocs(set).docs);
  });
  after(() => es.close());

  let total: number | undefined;
  const source = () =>
    createElasticsearchSource({
      onProgress: (_read, all) => (total ??= all),
      client: new EsClient({ url: es.url, verifySsl: true }),
      url: es.url,
      honeypots: allHoneypots(),
      lookbackDays: 1,
      since: Date.parse('2000-01-01T00:00:00Z'),
      pageSize: 100,
    });
  const searches = () => es.requests.byEndpoint['POST /_search'] ?? 0;

  it('requests page 2 before page 1 is handed back, and still reads every document once', async () => {
    const before = searches();
    total = undefined;
    const reading = source();
    const batches = reading.batches(undefined)[Symbol.asyncIterator]();
    const first = await batches.next();
    assert.equal(first.done, false);
    // The consumer has not asked for page 2; it is already on its way.
    await until(() => searches() - before >= 2, 5_000, 'the prefetched second page');
    let records = first.done ? 0 : first.value.records.length;
    for (let next = await batches.next(); !next.done; next = await batches.next()) records += next.value.records.length;
    await reading.close();
    // Every selected document (ES's own count) once, and no page asked for twice.
    assert.ok(total !== undefined && total > 300, `total ${total}`);
    assert.equal(records, total);
    assert.equal(searches() - before, Math.floor(total / 100) + 1);
  });

  it('a reader that stops after one page (SIGTERM) leaves no failure behind from the page already requested', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const before = searches();
      const expiredBefore = es.expiredPits;
      // The point in time expires once the first page is answered: the prefetched search fails for certain (404,
      // search_context_missing_exception, not retried), and nobody is left to await it.
      es.expirePits(1);
      const reading = source();
      for await (const batch of reading.batches(undefined)) {
        assert.ok(batch.records.length > 0);
        break;
      }
      await until(() => searches() - before >= 2, 5_000, 'the prefetched search');
      assert.ok(es.expiredPits > expiredBefore, 'the prefetched search met an expired point in time');
      await reading.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
