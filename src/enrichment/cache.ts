// Persistent enrichment cache (state DB): one answer per (provider, kind, value); errors are never stored.
import type { StateStore } from '../state.js';
import {
  isHighRisk,
  type EnrichmentAnswer,
  type EnrichmentProvider,
  type EnrichmentSummary,
  type GreyNoiseClassification,
  type IndicatorKind,
  type ProviderName,
} from './provider.js';
import { systemClock, type Clock } from './quota.js';

export interface EnrichmentCacheOptions {
  /** CACHE_DURATION: seconds an ordinary answer is kept (0: every sighting is asked again). */
  readonly ttlSeconds: number;
  /** Seconds a high-risk answer is kept, so that it is re-checked sooner. Default: a quarter of ttlSeconds. */
  readonly highRiskTtlSeconds?: number;
  /** Seconds a `not_found` answer is kept (the indicator may become known soon). Default: a quarter of ttlSeconds. */
  readonly notFoundTtlSeconds?: number;
  readonly clock?: Clock;
}

export class EnrichmentCache {
  readonly #state: StateStore;
  readonly #clock: Clock;
  readonly #ttl: number;
  readonly #highRiskTtl: number;
  readonly #notFoundTtl: number;

  constructor(state: StateStore, options: EnrichmentCacheOptions) {
    this.#state = state;
    this.#clock = options.clock ?? systemClock;
    this.#ttl = Math.max(0, options.ttlSeconds);
    this.#highRiskTtl = Math.max(0, options.highRiskTtlSeconds ?? Math.floor(this.#ttl / 4));
    this.#notFoundTtl = Math.max(0, options.notFoundTtlSeconds ?? Math.floor(this.#ttl / 4));
  }

  /** Seconds `answer` is kept. */
  ttlSecondsOf(answer: EnrichmentAnswer): number {
    if (answer.status === 'not_found') return this.#notFoundTtl;
    return isHighRisk(answer.data) ? this.#highRiskTtl : this.#ttl;
  }

  /** The unexpired answer, or undefined (a row that no longer parses counts as a miss). */
  get(provider: ProviderName, kind: IndicatorKind, value: string): EnrichmentAnswer | undefined {
    const row = this.#state.enrichmentCached(provider, kind, value);
    if (row === undefined || row.expiresAt <= this.#clock.now()) return undefined;
    return decodeAnswer(row.answer, provider);
  }

  /**
   * The stored answer even past its TTL (the best knowledge until it is re-checked), with whether it is still
   * fresh; undefined when there is none.
   */
  latest(provider: ProviderName, kind: IndicatorKind, value: string): { readonly answer: EnrichmentAnswer; readonly fetchedAt: number; readonly fresh: boolean } | undefined {
    const row = this.#state.enrichmentCached(provider, kind, value);
    if (row === undefined) return undefined;
    const answer = decodeAnswer(row.answer, provider);
    return answer === undefined ? undefined : { answer, fetchedAt: row.fetchedAt, fresh: row.expiresAt > this.#clock.now() };
  }

  put(provider: ProviderName, kind: IndicatorKind, value: string, answer: EnrichmentAnswer): void {
    // Stored even with a TTL of 0 (already expired): the answer is still what MISP gets, via `latest`.
    const ttl = this.ttlSecondsOf(answer);
    const now = this.#clock.now();
    this.#state.putEnrichmentCached(provider, kind, value, { answer: JSON.stringify(answer), fetchedAt: now, expiresAt: now + ttl * 1000 });
  }

  /**
   * Drops answers expired for more than `graceMs` (an expired answer still describes the indicator in MISP
   * until it is re-checked); returns how many.
   */
  purgeExpired(graceMs = 0): number {
    return this.#state.purgeEnrichmentCache(this.#clock.now() - graceMs);
  }

  /**
   * `provider` behind this cache: a hit answers without a request; an answer is stored; a rejection
   * (auth, 429, 5xx, network, bad response) passes through and is not stored.
   */
  wrap<S extends EnrichmentSummary>(provider: EnrichmentProvider<S>): EnrichmentProvider<S> & { readonly hits: () => number } {
    let hits = 0;
    return {
      name: provider.name,
      kinds: provider.kinds,
      hits: () => hits,
      lookup: async (kind: IndicatorKind, value: string): Promise<EnrichmentAnswer<S>> => {
        const cached = this.get(provider.name, kind, value);
        // decodeAnswer checked that the summary belongs to this provider, i.e. is an S.
        if (cached !== undefined) {
          hits++;
          return cached as EnrichmentAnswer<S>;
        }
        const answer = await provider.lookup(kind, value);
        this.put(provider.name, kind, value, answer);
        return answer;
      },
      close: () => provider.close(),
    };
  }
}

// Decoding re-validates the stored JSON: the state file is ours, but a downgrade or a hand edit must not crash a run.

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function strOrNull(value: unknown): string | null | undefined {
  return value === null || typeof value === 'string' ? value : undefined;
}

function decodeAnswer(text: string, provider: ProviderName): EnrichmentAnswer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  if (record['status'] === 'not_found') return { status: 'not_found' };
  if (record['status'] !== 'found' || typeof record['data'] !== 'object' || record['data'] === null) return undefined;
  const data = decodeSummary(record['data'] as Record<string, unknown>);
  return data !== undefined && data.provider === provider ? { status: 'found', data } : undefined;
}

function decodeSummary(d: Record<string, unknown>): EnrichmentSummary | undefined {
  switch (d['provider']) {
    case 'virustotal': {
      const [malicious, suspicious, harmless, undetected] = [num(d['malicious']), num(d['suspicious']), num(d['harmless']), num(d['undetected'])];
      if (malicious === undefined || suspicious === undefined || harmless === undefined || undetected === undefined || typeof d['permalink'] !== 'string') return undefined;
      return {
        provider: 'virustotal', malicious, suspicious, harmless, undetected,
        reputation: num(d['reputation']) ?? null, lastAnalysisDate: num(d['lastAnalysisDate']) ?? null, permalink: d['permalink'],
      };
    }
    case 'abuseipdb': {
      const [score, reports] = [num(d['abuseConfidenceScore']), num(d['totalReports'])];
      const [countryCode, isp, usageType, lastReportedAt] = [strOrNull(d['countryCode']), strOrNull(d['isp']), strOrNull(d['usageType']), strOrNull(d['lastReportedAt'])];
      if (score === undefined || reports === undefined || countryCode === undefined || isp === undefined || usageType === undefined || lastReportedAt === undefined) return undefined;
      const w = d['isWhitelisted'];
      return {
        provider: 'abuseipdb', abuseConfidenceScore: score, totalReports: reports, countryCode, isp, usageType,
        isWhitelisted: typeof w === 'boolean' ? w : null, lastReportedAt,
      };
    }
    case 'greynoise': {
      const c = d['classification'];
      const [name, link, lastSeen] = [strOrNull(d['name']), strOrNull(d['link']), strOrNull(d['lastSeen'])];
      if ((c !== 'benign' && c !== 'malicious' && c !== 'unknown') || typeof d['noise'] !== 'boolean' || typeof d['riot'] !== 'boolean') return undefined;
      if (name === undefined || link === undefined || lastSeen === undefined) return undefined;
      return { provider: 'greynoise', classification: c satisfies GreyNoiseClassification, noise: d['noise'], riot: d['riot'], name, link, lastSeen };
    }
    default:
      return undefined;
  }
}
