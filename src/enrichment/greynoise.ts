// GreyNoise client: the free Community API (GET /v3/community/{ip}) or the paid IP Lookup (GET /v3/ip/{ip}).
import { asRecord, ProviderHttp, stringOrNull, type ProviderResponse } from './http.js';
import {
  EnrichmentError,
  secondsUntilUtcMidnight,
  type EnrichmentAnswer,
  type EnrichmentProvider,
  type GreyNoiseClassification,
  type GreyNoiseSummary,
  type IndicatorKind,
} from './provider.js';

export interface GreyNoiseOptions {
  /** Optional for the community plan (unauthenticated lookups have a smaller daily budget). */
  readonly apiKey?: string;
  /** `community` (free) or `enterprise` (IP Lookup, needs a paid key). Default community. */
  readonly plan?: 'community' | 'enterprise';
  /** Default https://api.greynoise.io. */
  readonly baseUrl?: string;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export const GREYNOISE_BASE_URL = 'https://api.greynoise.io';
const VIZ = 'https://viz.greynoise.io';

function classification(value: unknown): GreyNoiseClassification {
  return value === 'benign' || value === 'malicious' ? value : 'unknown';
}

export class GreyNoiseClient implements EnrichmentProvider<GreyNoiseSummary> {
  readonly name = 'greynoise' as const;
  readonly kinds: readonly IndicatorKind[] = ['ip'];
  readonly #http: ProviderHttp;
  readonly #key: string | undefined;
  readonly #plan: 'community' | 'enterprise';
  readonly #now: () => number;

  constructor(options: GreyNoiseOptions = {}) {
    this.#key = options.apiKey;
    this.#plan = options.plan ?? 'community';
    this.#now = options.now ?? Date.now;
    this.#http = new ProviderHttp('greynoise', { baseUrl: options.baseUrl ?? GREYNOISE_BASE_URL, timeoutMs: options.timeoutMs, now: this.#now });
  }

  async lookup(kind: IndicatorKind, value: string): Promise<EnrichmentAnswer<GreyNoiseSummary>> {
    if (kind !== 'ip') {
      throw new EnrichmentError('T2M_ENRICH_BAD_INDICATOR', 'greynoise', `GreyNoise looks up IP addresses only, not ${kind}`, { hint: 'send only IP indicators to GreyNoise' });
    }
    const path = this.#plan === 'community' ? `v3/community/${encodeURIComponent(value)}` : `v3/ip/${encodeURIComponent(value)}`;
    const response = await this.#http.get(path, this.#key === undefined ? {} : { key: this.#key });
    // No rate-limit headers are documented; the 429 body says the limit is daily.
    this.#http.throwForCommonStatus(response, () => secondsUntilUtcMidnight(this.#now()));
    // 404 = "not observed": a valid answer, decided on the status, not on the (changing) message text.
    if (response.status === 404) return { status: 'not_found' };
    if (response.status === 400) throw this.#http.badIndicator(response);
    if (response.status !== 200 && response.status !== 206) throw this.#http.badResponse(response, 'an unexpected status');
    const body = asRecord(response.body);
    if (body === undefined) throw this.#http.badResponse(response, 'a body that is not a JSON object');
    return this.#plan === 'community' ? this.#community(body, value) : this.#enterprise(body, value, response);
  }

  #community(body: Record<string, unknown>, ip: string): EnrichmentAnswer<GreyNoiseSummary> {
    const noise = body['noise'] === true;
    const riot = body['riot'] === true;
    return {
      status: 'found',
      data: {
        provider: 'greynoise',
        classification: classification(body['classification']),
        noise,
        riot,
        name: stringOrNull(body['name']),
        link: stringOrNull(body['link']) ?? `${VIZ}/ip/${encodeURIComponent(ip)}`,
        lastSeen: stringOrNull(body['last_seen'], 32),
      },
    };
  }

  #enterprise(body: Record<string, unknown>, ip: string, response: ProviderResponse): EnrichmentAnswer<GreyNoiseSummary> {
    const scanner = asRecord(body['internet_scanner_intelligence']);
    const business = asRecord(body['business_service_intelligence']);
    if (scanner === undefined && business === undefined) throw this.#http.badResponse(response, 'neither intelligence block');
    const noise = scanner?.['found'] === true;
    const riot = business?.['found'] === true;
    if (!noise && !riot) return { status: 'not_found' };
    return {
      status: 'found',
      data: {
        provider: 'greynoise',
        classification: noise ? classification(scanner?.['classification']) : 'benign',
        noise,
        riot,
        name: stringOrNull(business?.['name']) ?? stringOrNull(scanner?.['actor']),
        link: `${VIZ}/${riot && !noise ? 'riot' : 'ip'}/${encodeURIComponent(ip)}`,
        lastSeen: stringOrNull(scanner?.['last_seen'], 32),
      },
    };
  }

  async close(): Promise<void> {
    await this.#http.close();
  }
}
