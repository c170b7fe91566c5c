import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AbuseIpdbClient, type AbuseIpdbQuotaHeaders } from '../../src/enrichment/abuseipdb.js';
import { EnrichmentAuthError, EnrichmentError, EnrichmentRateLimitError, type AbuseIpdbSummary, type EnrichmentAnswer } from '../../src/enrichment/provider.js';
import { FIXTURE_IPS, startEnrichmentEmulator, type EnrichmentEmulator } from '../emulators/enrichment-emulator.js';

let emulator: EnrichmentEmulator;
before(async () => {
  emulator = await startEnrichmentEmulator();
});
after(async () => {
  await emulator.close();
});

function found(answer: EnrichmentAnswer<AbuseIpdbSummary>): AbuseIpdbSummary {
  assert.equal(answer.status, 'found');
  if (answer.status !== 'found') throw new Error('unreachable');
  return answer.data;
}

describe('AbuseIpdbClient', () => {
  it('summarises a reported IP; the key travels in the Key header, never as key= in the query', async () => {
    const quotas: AbuseIpdbQuotaHeaders[] = [];
    const abuse = new AbuseIpdbClient({ apiKey: emulator.keys.abuseipdb, baseUrl: emulator.baseUrls.abuseipdb, onQuota: (q) => quotas.push(q) });
    assert.deepEqual(found(await abuse.lookup('ip', FIXTURE_IPS.malicious)), {
      provider: 'abuseipdb', abuseConfidenceScore: 100, totalReports: 412, countryCode: 'NL', isp: 'Example Hosting B.V.',
      usageType: 'Data Center/Web Hosting/Transit', isWhitelisted: false, lastReportedAt: '2024-05-01T09:58:12+00:00',
    });
    const seen = emulator.lastRequest.abuseipdb;
    assert.equal(seen?.url, '/api/v2/check?ipAddress=198.51.100.23&maxAgeInDays=90');
    assert.equal(seen?.headers['key'], emulator.keys.abuseipdb);
    assert.equal(seen?.headers['accept'], 'application/json');
    assert.deepEqual(quotas, [{ limit: 1000, remaining: 987, resetAt: 1714608000_000 }]);
    await abuse.close();
  });

  it('reads a never-reported IP as found with score 0, a whitelisted one as such, and isPublic:false as not_found', async () => {
    const abuse = new AbuseIpdbClient({ apiKey: emulator.keys.abuseipdb, baseUrl: emulator.baseUrls.abuseipdb });
    const clean = found(await abuse.lookup('ip', FIXTURE_IPS.clean));
    assert.equal(clean.abuseConfidenceScore, 0);
    assert.equal(clean.totalReports, 0);
    assert.equal(clean.lastReportedAt, null);
    assert.equal(found(await abuse.lookup('ip', FIXTURE_IPS.riot)).isWhitelisted, true);
    assert.deepEqual(await abuse.lookup('ip', FIXTURE_IPS.private), { status: 'not_found' });
    await assert.rejects(abuse.lookup('ip', 'not-an-ip'), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_BAD_INDICATOR' && e.status === 422);
    await assert.rejects(abuse.lookup('sha256', 'a'.repeat(64)), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_BAD_INDICATOR');
    await abuse.close();
  });

  it('turns 401 and 403 into auth errors naming ABUSEIPDB_API_KEY', async () => {
    const wrong = new AbuseIpdbClient({ apiKey: 'wrong-secret-key', baseUrl: emulator.baseUrls.abuseipdb });
    await assert.rejects(wrong.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) =>
      e instanceof EnrichmentAuthError && e.keyVariable === 'ABUSEIPDB_API_KEY' && /ABUSEIPDB_API_KEY/.test(e.message) && /Authentication failed/.test(e.message) && !e.message.includes('wrong-secret-key'));
    await wrong.close();
    const abuse = new AbuseIpdbClient({ apiKey: emulator.keys.abuseipdb, baseUrl: emulator.baseUrls.abuseipdb });
    emulator.fail('abuseipdb', { status: 403, body: '{"errors":[{"detail":"Forbidden","status":403}]}' });
    await assert.rejects(abuse.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentAuthError && e.status === 403 && /ABUSEIPDB_API_KEY/.test(e.hint ?? ''));
    emulator.fail('abuseipdb', undefined);
    await abuse.close();
  });

  it('turns 429 into a rate-limit error with Retry-After, else X-RateLimit-Reset', async () => {
    const now = 1714608000_000 - 600_000;
    const abuse = new AbuseIpdbClient({ apiKey: emulator.keys.abuseipdb, baseUrl: emulator.baseUrls.abuseipdb, now: () => now });
    emulator.rateLimit('abuseipdb', {});
    await assert.rejects(abuse.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) =>
      e instanceof EnrichmentRateLimitError && e.retryAfterSeconds === 29241 && /Daily rate limit of 1000/.test(e.message));
    emulator.rateLimit('abuseipdb', { retryAfter: 'soon' });
    await assert.rejects(abuse.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentRateLimitError && e.retryAfterSeconds === 600);
    emulator.rateLimit('abuseipdb', undefined);
    await abuse.close();
  });

  it('never throws anything but a typed error on hostile bodies', async () => {
    const abuse = new AbuseIpdbClient({ apiKey: emulator.keys.abuseipdb, baseUrl: emulator.baseUrls.abuseipdb });
    for (const body of ['<html>login</html>', '{}', '{"data": []}', '{"data": "x"}', '{"errors": 7}']) {
      emulator.fail('abuseipdb', { status: 200, body });
      await assert.rejects(abuse.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_BAD_RESPONSE', body);
    }
    emulator.fail('abuseipdb', { status: 200, body: '{"data": {"abuseConfidenceScore": 1e9, "totalReports": -4, "countryCode": 12, "isWhitelisted": "yes"}}' });
    assert.deepEqual(found(await abuse.lookup('ip', FIXTURE_IPS.malicious)), {
      provider: 'abuseipdb', abuseConfidenceScore: 100, totalReports: 0, countryCode: null, isp: null, usageType: null, isWhitelisted: null, lastReportedAt: null,
    });
    emulator.fail('abuseipdb', { status: 502, body: 'bad gateway' });
    await assert.rejects(abuse.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_UNAVAILABLE');
    emulator.fail('abuseipdb', undefined);
    await abuse.close();
  });
});
