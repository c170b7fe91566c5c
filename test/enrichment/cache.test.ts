import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EnrichmentCache } from '../../src/enrichment/cache.js';
import {
  EnrichmentError,
  EnrichmentRateLimitError,
  type AbuseIpdbSummary,
  type EnrichmentAnswer,
  type EnrichmentProvider,
  type GreyNoiseSummary,
  type IndicatorKind,
  type VirusTotalSummary,
} from '../../src/enrichment/provider.js';
import { VirusTotalClient } from '../../src/enrichment/virustotal.js';
import { StateStore } from '../../src/state.js';
import { FIXTURE_IPS, startEnrichmentEmulator } from '../emulators/enrichment-emulator.js';

const dir = mkdtempSync(join(tmpdir(), 'tpot2misp-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const clock = { ms: Date.UTC(2025, 2, 14, 12), now(): number { return this.ms; } };
const DAY = 86_400;

const vt = (malicious: number): VirusTotalSummary => ({
  provider: 'virustotal', malicious, suspicious: 0, harmless: 60, undetected: 30, reputation: 0, lastAnalysisDate: 1714557600, permalink: 'https://www.virustotal.com/gui/ip-address/x',
});
const abuse = (score: number): AbuseIpdbSummary => ({
  provider: 'abuseipdb', abuseConfidenceScore: score, totalReports: 1, countryCode: 'NL', isp: null, usageType: null, isWhitelisted: null, lastReportedAt: null,
});
const gn = (classification: GreyNoiseSummary['classification']): GreyNoiseSummary => ({
  provider: 'greynoise', classification, noise: true, riot: false, name: null, link: null, lastSeen: '2024-05-01',
});

/** A scripted provider: answers or throws what it is told, counting calls. */
class ScriptedProvider implements EnrichmentProvider<VirusTotalSummary> {
  readonly name = 'virustotal' as const;
  readonly kinds: readonly IndicatorKind[] = ['ip'];
  calls = 0;
  constructor(public next: () => EnrichmentAnswer<VirusTotalSummary>) {}
  lookup(): Promise<EnrichmentAnswer<VirusTotalSummary>> {
    this.calls++;
    try {
      return Promise.resolve(this.next());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('EnrichmentCache', () => {
  it('hits within CACHE_DURATION and misses after it', () => {
    const state = StateStore.open(':memory:');
    const cache = new EnrichmentCache(state, { ttlSeconds: DAY, clock });
    const start = clock.ms;
    cache.put('virustotal', 'ip', '203.0.113.8', { status: 'found', data: vt(0) });
    clock.ms = start + (DAY - 1) * 1000;
    assert.deepEqual(cache.get('virustotal', 'ip', '203.0.113.8'), { status: 'found', data: vt(0) });
    assert.equal(cache.get('abuseipdb', 'ip', '203.0.113.8'), undefined, 'keyed by provider');
    assert.equal(cache.get('virustotal', 'url', '203.0.113.8'), undefined, 'keyed by kind');
    clock.ms = start + DAY * 1000;
    assert.equal(cache.get('virustotal', 'ip', '203.0.113.8'), undefined);
    assert.equal(cache.purgeExpired(), 1);
    clock.ms = start;
    state.close();
  });

  it('keeps high-risk answers a quarter as long (VT malicious > 0, AbuseIPDB ≥ 75, GreyNoise malicious) and caches not_found', () => {
    const state = StateStore.open(':memory:');
    const cache = new EnrichmentCache(state, { ttlSeconds: DAY, clock });
    const quarter = DAY / 4;
    assert.equal(cache.ttlSecondsOf({ status: 'found', data: vt(1) }), quarter);
    assert.equal(cache.ttlSecondsOf({ status: 'found', data: vt(0) }), DAY);
    assert.equal(cache.ttlSecondsOf({ status: 'found', data: abuse(75) }), quarter);
    assert.equal(cache.ttlSecondsOf({ status: 'found', data: abuse(74) }), DAY);
    assert.equal(cache.ttlSecondsOf({ status: 'found', data: gn('malicious') }), quarter);
    assert.equal(cache.ttlSecondsOf({ status: 'found', data: gn('benign') }), DAY);
    const start = clock.ms;
    cache.put('virustotal', 'ip', 'bad', { status: 'found', data: vt(9) });
    cache.put('virustotal', 'ip', 'good', { status: 'found', data: vt(0) });
    cache.put('greynoise', 'ip', 'unseen', { status: 'not_found' });
    clock.ms = start + quarter * 1000 - 1;
    assert.equal(cache.get('virustotal', 'ip', 'bad')?.status, 'found');
    assert.deepEqual(cache.get('greynoise', 'ip', 'unseen'), { status: 'not_found' });
    clock.ms = start + quarter * 1000;
    assert.equal(cache.get('virustotal', 'ip', 'bad'), undefined, 're-checked sooner');
    assert.equal(cache.get('greynoise', 'ip', 'unseen'), undefined);
    assert.equal(cache.get('virustotal', 'ip', 'good')?.status, 'found');
    const custom = new EnrichmentCache(state, { ttlSeconds: DAY, highRiskTtlSeconds: 60, notFoundTtlSeconds: 0, clock });
    assert.equal(custom.ttlSecondsOf({ status: 'found', data: abuse(100) }), 60);
    custom.put('abuseipdb', 'ip', 'x', { status: 'not_found' });
    assert.equal(custom.get('abuseipdb', 'ip', 'x'), undefined, 'a TTL of 0 stores nothing');
    clock.ms = start;
    state.close();
  });

  it('wraps a provider: answers are stored, errors are not', async () => {
    const state = StateStore.open(':memory:');
    const cache = new EnrichmentCache(state, { ttlSeconds: DAY, clock });
    const provider = new ScriptedProvider(() => {
      throw new EnrichmentRateLimitError('virustotal', 60, undefined);
    });
    const cached = cache.wrap(provider);
    await assert.rejects(cached.lookup('ip', '198.51.100.23'), EnrichmentRateLimitError);
    provider.next = () => {
      throw new EnrichmentError('T2M_ENRICH_UNAVAILABLE', 'virustotal', 'HTTP 503', { status: 503 });
    };
    await assert.rejects(cached.lookup('ip', '198.51.100.23'), (e: unknown) => e instanceof EnrichmentError && e.code === 'T2M_ENRICH_UNAVAILABLE');
    assert.equal(state.enrichmentCached('virustotal', 'ip', '198.51.100.23'), undefined, 'no error was stored');
    provider.next = () => ({ status: 'found', data: vt(3) });
    assert.deepEqual(await cached.lookup('ip', '198.51.100.23'), { status: 'found', data: vt(3) });
    assert.deepEqual(await cached.lookup('ip', '198.51.100.23'), { status: 'found', data: vt(3) });
    assert.equal(provider.calls, 3);
    assert.equal(cached.hits(), 1);
    provider.next = () => ({ status: 'not_found' });
    await cached.lookup('ip', '203.0.113.99');
    await cached.lookup('ip', '203.0.113.99');
    assert.equal(provider.calls, 4, 'not_found is cached');
    state.close();
  });

  it('survives a StateStore reopen and ignores rows it cannot read', async () => {
    const path = join(dir, 'cache.db');
    const emulator = await startEnrichmentEmulator();
    const client = new VirusTotalClient({ apiKey: emulator.keys.virustotal, baseUrl: emulator.baseUrls.virustotal });
    let state = StateStore.open(path);
    let cache = new EnrichmentCache(state, { ttlSeconds: DAY, clock });
    const first = await cache.wrap(client).lookup('ip', FIXTURE_IPS.malicious);
    state.close();
    state = StateStore.open(path);
    cache = new EnrichmentCache(state, { ttlSeconds: DAY, clock });
    assert.deepEqual(await cache.wrap(client).lookup('ip', FIXTURE_IPS.malicious), first);
    assert.equal(emulator.requests.virustotal, 1, 'the second lookup came from the reopened cache');
    for (const answer of ['not json', '{"status":"found","data":{"provider":"abuseipdb"}}', '{"status":"found","data":{"provider":"greynoise","classification":"malicious","noise":true,"riot":false,"name":null,"link":null,"lastSeen":null}}']) {
      state.putEnrichmentCached('virustotal', 'ip', 'odd', { answer, fetchedAt: clock.ms, expiresAt: clock.ms + 1000 });
      assert.equal(cache.get('virustotal', 'ip', 'odd'), undefined, answer);
    }
    state.close();
    await client.close();
    await emulator.close();
  });
});
