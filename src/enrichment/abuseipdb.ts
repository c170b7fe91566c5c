// AbuseIPDB API v2 client: GET /check for IP addresses (the key goes in the `Key` header, never in `key=`).
import { asRecord, boolOrNull, count, numericHeader, ProviderHttp, stringOrNull, type ProviderHttpOptions, type ProviderResponse } from './http.js';
import { EnrichmentError, secondsUntilUtcMidnight, type AbuseIpdbSummary, type EnrichmentAnswer, type EnrichmentProvider, type IndicatorKind } from './provider.js';

export interface AbuseIpdbQuotaHeaders {
  /** X-RateLimit-Limit: the daily limit of the endpoint. */
  readonly limit: number | undefined;
  /** X-RateLimit-Remaining. */
  readonly remaining: number | undefined;
  /** X-RateLimit-Reset as ms since the epoch. */
  readonly resetAt: number | undefined;
}

export interface AbuseIpdbOptions {
  readonly apiKey: string;
  /** Default https://api.abuseipdb.com/api/v2. */
  readonly baseUrl?: string;
  /** Reports older than this do not count (1–365, default 90). */
  readonly maxAgeInDays?: number;
  readonly timeoutMs?: number;
  readonly now?: () => number;
  /** Told the X-RateLimit-* headers of every answer, so a limiter can stop before the 429. */
  readonly onQuota?: (quota: AbuseIpdbQuotaHeaders) => void;
}

export const ABUSEIPDB_BASE_URL = 'https://api.abuseipdb.com/api/v2';

export class AbuseIpdbClient implements EnrichmentProvider<AbuseIpdbSummary> {
  readonly name = 'abuseipdb' as const;
  readonly kinds: readonly IndicatorKind[] = ['ip'];
  readonly #http: ProviderHttp;
  readonly #key: string;
  readonly #maxAge: number;
  readonly #now: () => number;
  readonly #onQuota: ((quota: AbuseIpdbQuotaHeaders) => void) | undefined;

  constructor(options: AbuseIpdbOptions) {
    this.#key = options.apiKey;
    this.#maxAge = Math.min(365, Math.max(1, Math.floor(options.maxAgeInDays ?? 90)));
    this.#now = options.now ?? Date.now;
    this.#onQuota = options.onQuota;
    const http: ProviderHttpOptions = { baseUrl: options.baseUrl ?? ABUSEIPDB_BASE_URL, timeoutMs: options.timeoutMs, now: this.#now };
    this.#http = new ProviderHttp('abuseipdb', http);
  }

  async lookup(kind: IndicatorKind, value: string): Promise<EnrichmentAnswer<AbuseIpdbSummary>> {
    if (kind !== 'ip') {
      throw new EnrichmentError('T2M_ENRICH_BAD_INDICATOR', 'abuseipdb', `AbuseIPDB looks up IP addresses only, not ${kind}`, { hint: 'send only IP indicators to AbuseIPDB' });
    }
    const query = new URLSearchParams({ ipAddress: value, maxAgeInDays: String(this.#maxAge) });
    const response = await this.#http.get(`check?${query.toString()}`, { key: this.#key, accept: 'application/json' });
    const quota = this.#quota(response);
    if (quota.limit !== undefined || quota.remaining !== undefined || quota.resetAt !== undefined) this.#onQuota?.(quota);
    // Documented order: Retry-After, then X-RateLimit-Reset; AbuseIPDB limits reset daily.
    this.#http.throwForCommonStatus(response, () =>
      quota.resetAt !== undefined && quota.resetAt > this.#now() ? Math.ceil((quota.resetAt - this.#now()) / 1000) : secondsUntilUtcMidnight(this.#now()),
    );
    if (response.status === 422 || response.status === 400) throw this.#http.badIndicator(response);
    if (response.status !== 200) throw this.#http.badResponse(response, 'an unexpected status');
    const data = asRecord(asRecord(response.body)?.['data']);
    if (data === undefined) throw this.#http.badResponse(response, 'no `data` object');
    // AbuseIPDB has no 404: private/reserved addresses come back as isPublic:false, about which it knows nothing.
    if (data['isPublic'] === false) return { status: 'not_found' };
    const score = count(data['abuseConfidenceScore']);
    return {
      status: 'found',
      data: {
        provider: 'abuseipdb',
        abuseConfidenceScore: Math.min(100, score),
        totalReports: count(data['totalReports']),
        countryCode: stringOrNull(data['countryCode'], 8),
        isp: stringOrNull(data['isp']),
        usageType: stringOrNull(data['usageType']),
        isWhitelisted: boolOrNull(data['isWhitelisted']),
        lastReportedAt: stringOrNull(data['lastReportedAt'], 64),
      },
    };
  }

  #quota(response: ProviderResponse): AbuseIpdbQuotaHeaders {
    const reset = numericHeader(response.headers['x-ratelimit-reset']);
    return {
      limit: numericHeader(response.headers['x-ratelimit-limit']),
      remaining: numericHeader(response.headers['x-ratelimit-remaining']),
      resetAt: reset === undefined ? undefined : reset * 1000,
    };
  }

  async close(): Promise<void> {
    await this.#http.close();
  }
}
