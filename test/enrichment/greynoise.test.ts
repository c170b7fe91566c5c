import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GreyNoiseClient } from '../../src/enrichment/greynoise.js';
import { EnrichmentAuthError, EnrichmentError, EnrichmentRateLimitError, type EnrichmentAnswer, type GreyNoiseSummary } from '../../src/enrichment/provider.js';
import { FIXTURE_IPS, startEnrichmentEmulator, type EnrichmentEmulator } from '../emulators/enrichment-emulator.js';

let emulator: EnrichmentEmulator;
before(async () => {
  emulator = await startEnrichmentEmulator();
});
after(async () => {
  await emulator.close();
});

function found(answer: EnrichmentAnswer<GreyNoiseSummary>): GreyNoiseSummary {
  assert.equal(answer.status, 'found');
  if (answer.status !== 'found') throw new Error('unreachable');
  return answer.data;
}

describe('GreyNoiseClient (community)', () => {
  it('summarises a malicious scanner and a RIOT business service; the key goes in the `key` header', async () => {
    const gn = new GreyNoiseClient({ apiKey: emulator.keys.greynoise, baseUrl: emulator.baseUrls.greynoise });
    assert.deepEqual(found(await gn.lookup('ip', FIXTURE_IPS.malicious)), {
      provider: 'greynoise', classification: 'malicious', noise: true, riot: false, name: 'unknown',
      link: 'https://viz.greynoise.io/ip/198.51.100.23', lastSeen: '2024-05-01',
    });
    assert.equal(emulator.lastRequest.greynoise?.url, '/v3/community/198.51.100.23');
    assert.equal(emulator.lastRequest.greynoise?.headers['key'], emulator.keys.greynoise);
    const riot = found(await gn.lookup('ip', FIXTURE_IPS.riot));
    assert.equal(riot.classification, 'benign');
    assert.equal(riot.riot, true);
    assert.equal(riot.name, 'Example DNS');
    await gn.close();
  });

  it('answers not_found on 404 (whatever the message), works without a key, and rejects invalid IPs (400)', async () => {
    const gn = new GreyNoiseClient({ baseUrl: emulator.baseUrls.greynoise });
    assert.deepEqual(await gn.lookup('ip', FIXTURE_IPS.clean), { status: 'not_found' });
    assert.equal(emulator.lastRequest.greynoise?.headers['key'], undefined);
    emulator.fail('greynoise', { status: 404, body: '{"ip":"203.0.113.8","noise":false,"riot":false,"message":"IP not observed scanning the internet."}' });
    assert.deepEqual(await gn.lookup('ip', FIXTURE_IPS.clean), { status: 'not_found' });
    emulator.fail('greynoise', undefined);
    await assert.rejects(gn.lookup('ip', FIXTURE_IPS.private), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_BAD_INDICATOR' && /not a valid routable/.test(e.message));
    await assert.rejects(gn.lookup('url', 'http://x'), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_BAD_INDICATOR');
    await gn.close();
  });

  it('turns 401 into an auth error naming GREYNOISE_API_KEY', async () => {
    const gn = new GreyNoiseClient({ apiKey: 'wrong-secret-key', baseUrl: emulator.baseUrls.greynoise });
    await assert.rejects(gn.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) =>
      e instanceof EnrichmentAuthError && e.keyVariable === 'GREYNOISE_API_KEY' && /GREYNOISE_API_KEY/.test(e.message) && !e.message.includes('wrong-secret-key'));
    await gn.close();
  });

  it('turns 429 into a rate-limit error: Retry-After when sent, else until 00:00 UTC (the documented daily limit)', async () => {
    const now = Date.UTC(2025, 2, 14, 22, 30, 0);
    const gn = new GreyNoiseClient({ apiKey: emulator.keys.greynoise, baseUrl: emulator.baseUrls.greynoise, now: () => now });
    emulator.rateLimit('greynoise', {});
    await assert.rejects(gn.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) =>
      e instanceof EnrichmentRateLimitError && e.retryAfterSeconds === 5400 && /daily rate limit of 100/.test(e.message));
    emulator.rateLimit('greynoise', { retryAfter: new Date(now + 120_000).toUTCString() });
    await assert.rejects(gn.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentRateLimitError && e.retryAfterSeconds === 120);
    emulator.rateLimit('greynoise', undefined);
    await gn.close();
  });

  it('never throws anything but a typed error on hostile bodies', async () => {
    const gn = new GreyNoiseClient({ baseUrl: emulator.baseUrls.greynoise });
    for (const body of ['', 'nope', '[1,2]', '"string"']) {
      emulator.fail('greynoise', { status: 200, body });
      await assert.rejects(gn.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_BAD_RESPONSE', body);
    }
    emulator.fail('greynoise', { status: 200, body: '{"classification": "evil", "noise": "yes", "name": {"x": 1}, "last_seen": 5}' });
    assert.deepEqual(found(await gn.lookup('ip', FIXTURE_IPS.malicious)), {
      provider: 'greynoise', classification: 'unknown', noise: false, riot: false, name: null, link: 'https://viz.greynoise.io/ip/198.51.100.23', lastSeen: null,
    });
    emulator.fail('greynoise', { status: 500, body: '{"message":"Encountered error while performing request"}' });
    await assert.rejects(gn.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_UNAVAILABLE');
    emulator.fail('greynoise', undefined);
    await gn.close();
  });
});

describe('GreyNoiseClient (enterprise IP lookup)', () => {
  it('summarises /v3/ip and reads found:false in both blocks as not_found', async () => {
    const gn = new GreyNoiseClient({ apiKey: emulator.keys.greynoise, plan: 'enterprise', baseUrl: emulator.baseUrls.greynoise });
    assert.deepEqual(found(await gn.lookup('ip', FIXTURE_IPS.malicious)), {
      provider: 'greynoise', classification: 'malicious', noise: true, riot: false, name: 'unknown',
      link: 'https://viz.greynoise.io/ip/198.51.100.23', lastSeen: '2024-05-01',
    });
    assert.equal(emulator.lastRequest.greynoise?.url, '/v3/ip/198.51.100.23');
    assert.deepEqual(await gn.lookup('ip', FIXTURE_IPS.clean), { status: 'not_found' });
    await gn.close();
  });
});
