import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EnrichmentAuthError, EnrichmentError, EnrichmentRateLimitError, type EnrichmentAnswer, type VirusTotalSummary } from '../../src/enrichment/provider.js';
import { VirusTotalClient, virusTotalUrlId } from '../../src/enrichment/virustotal.js';
import { FIXTURE_FILE, FIXTURE_IPS, startEnrichmentEmulator, type EnrichmentEmulator } from '../emulators/enrichment-emulator.js';

let emulator: EnrichmentEmulator;
before(async () => {
  emulator = await startEnrichmentEmulator();
});
after(async () => {
  await emulator.close();
});

function client(apiKey = emulator.keys.virustotal, now?: () => number): VirusTotalClient {
  return new VirusTotalClient({ apiKey, baseUrl: emulator.baseUrls.virustotal, timeoutMs: 2000, ...(now !== undefined && { now }) });
}

function found(answer: EnrichmentAnswer<VirusTotalSummary>): VirusTotalSummary {
  assert.equal(answer.status, 'found');
  if (answer.status !== 'found') throw new Error('unreachable');
  return answer.data;
}

describe('VirusTotalClient', () => {
  it('summarises a malicious IP, with the key in the x-apikey header only', async () => {
    const vt = client();
    const data = found(await vt.lookup('ip', FIXTURE_IPS.malicious));
    assert.deepEqual(data, {
      provider: 'virustotal', malicious: 9, suspicious: 2, harmless: 55, undetected: 28, reputation: -14, lastAnalysisDate: 1714557600,
      permalink: 'https://www.virustotal.com/gui/ip-address/198.51.100.23',
    });
    const seen = emulator.lastRequest.virustotal;
    assert.equal(seen?.url, '/api/v3/ip_addresses/198.51.100.23');
    assert.equal(seen?.headers['x-apikey'], emulator.keys.virustotal);
    assert.ok(!seen?.url.includes(emulator.keys.virustotal), 'the key is never in the URL');
    await vt.close();
  });

  it('summarises a clean IP and a malicious file by sha256 and by md5', async () => {
    const vt = client();
    const clean = found(await vt.lookup('ip', FIXTURE_IPS.clean));
    assert.equal(clean.malicious, 0);
    assert.equal(clean.harmless, 61);
    const bySha = found(await vt.lookup('sha256', FIXTURE_FILE.sha256.toUpperCase()));
    assert.ok(bySha.malicious > 0);
    assert.equal(bySha.permalink, `https://www.virustotal.com/gui/file/${FIXTURE_FILE.sha256}`);
    const byMd5 = found(await vt.lookup('md5', FIXTURE_FILE.md5));
    assert.equal(byMd5.permalink, bySha.permalink, 'the permalink uses the sha256 VirusTotal returns');
    await vt.close();
  });

  it('answers not_found for an unknown hash, IP and URL (404 NotFoundError); URLs go by their unpadded base64url id', async () => {
    const vt = client();
    assert.deepEqual(await vt.lookup('sha256', '0'.repeat(64)), { status: 'not_found' });
    assert.deepEqual(await vt.lookup('ip', '198.51.100.99'), { status: 'not_found' });
    const url = 'http://198.51.100.23/bins/x86?a=b';
    assert.deepEqual(await vt.lookup('url', url), { status: 'not_found' });
    assert.equal(emulator.lastRequest.virustotal?.url, `/api/v3/urls/${virusTotalUrlId(url)}`);
    assert.ok(!virusTotalUrlId(url).includes('='));
    await vt.close();
  });

  it('rejects a malformed hash without a request', async () => {
    const vt = client();
    const before = emulator.requests.virustotal;
    await assert.rejects(vt.lookup('md5', 'xyz'), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_BAD_INDICATOR');
    assert.equal(emulator.requests.virustotal, before);
    await vt.close();
  });

  it('turns 401 (wrong key) into an auth error naming VIRUSTOTAL_API_KEY, without the key', async () => {
    const vt = client('wrong-secret-key');
    await assert.rejects(vt.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => {
      assert.ok(e instanceof EnrichmentAuthError);
      assert.equal(e.code, 'T2M_ENRICH_AUTH');
      assert.equal(e.status, 401);
      assert.equal(e.keyVariable, 'VIRUSTOTAL_API_KEY');
      assert.match(e.message, /VIRUSTOTAL_API_KEY/);
      assert.match(e.message, /WrongCredentialsError/);
      assert.ok(!e.message.includes('wrong-secret-key') && !(e.hint ?? '').includes('wrong-secret-key'));
      return true;
    });
    await vt.close();
  });

  it('turns 429 into a rate-limit error: Retry-After when sent, else the minute window, then the next UTC midnight', async () => {
    const now = Date.UTC(2025, 2, 14, 23, 0, 0);
    const vt = client(undefined, () => now);
    emulator.rateLimit('virustotal', { retryAfter: '17' });
    await assert.rejects(vt.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentRateLimitError && e.retryAfterSeconds === 17 && e.code === 'T2M_ENRICH_RATE_LIMITED');
    emulator.rateLimit('virustotal', {});
    const vt2 = client(undefined, () => now);
    await assert.rejects(vt2.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentRateLimitError && e.retryAfterSeconds === 60);
    await assert.rejects(vt2.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentRateLimitError && e.retryAfterSeconds === 3600, 'a second 429 in a row: the daily quota, until 00:00 UTC');
    emulator.rateLimit('virustotal', undefined);
    await vt.close();
    await vt2.close();
  });

  it('maps 503 to T2M_ENRICH_UNAVAILABLE and hostile bodies to T2M_ENRICH_BAD_RESPONSE', async () => {
    const vt = client();
    emulator.fail('virustotal', { status: 503, body: '{"error":{"code":"TransientError","message":"try later"}}' });
    await assert.rejects(vt.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_UNAVAILABLE' && e.status === 503);
    for (const body of ['not json', '[]', '{"data": 5}', '{"data": null}', 'null', '{"data": {"attributes": {"last_analysis_stats": {"malicious": "9"}, "reputation": "x"}}}']) {
      emulator.fail('virustotal', { status: 200, body });
      const outcome: EnrichmentAnswer<VirusTotalSummary> | Error = await vt.lookup('ip', FIXTURE_IPS.malicious).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      if (outcome instanceof Error) assert.ok(outcome instanceof EnrichmentError && outcome.code === 'T2M_ENRICH_BAD_RESPONSE', `${body}: ${String(outcome)}`);
      else assert.deepEqual(found(outcome).malicious, 0, 'wrongly typed fields read as zero/null');
    }
    emulator.fail('virustotal', undefined);
    await vt.close();
  });

  it('maps a refused connection and a timeout to T2M_ENRICH_UNAVAILABLE', async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as AddressInfo).port;
    const slow = new VirusTotalClient({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}/api/v3`, timeoutMs: 200 });
    await assert.rejects(slow.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_UNAVAILABLE' && /timeout/.test(e.message));
    await slow.close();
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
    const refused = new VirusTotalClient({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}/api/v3`, timeoutMs: 500 });
    await assert.rejects(refused.lookup('ip', FIXTURE_IPS.malicious), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_UNAVAILABLE');
    await refused.close();
  });
});
