// VirusTotal API v3 client: IP addresses, files (sha256/md5) and URLs; never uploads or submits anything.
import { asRecord, count, finiteOrNull, ProviderHttp, type ProviderResponse } from './http.js';
import { EnrichmentError, secondsUntilUtcMidnight, type EnrichmentAnswer, type EnrichmentProvider, type IndicatorKind, type VirusTotalSummary } from './provider.js';

export interface VirusTotalOptions {
  readonly apiKey: string;
  /** Default https://www.virustotal.com/api/v3 (tests point it at the emulator). */
  readonly baseUrl?: string;
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export const VIRUSTOTAL_BASE_URL = 'https://www.virustotal.com/api/v3';
const GUI = 'https://www.virustotal.com/gui';
/** VT sends no Retry-After; the public quota is 4/min, so a first 429 waits out the minute window. */
const MINUTE_RESET_SECONDS = 60;

/** vt-py `url_id()`: URL-safe base64 of the URL without `=` padding. */
export function virusTotalUrlId(url: string): string {
  return Buffer.from(url, 'utf8').toString('base64url');
}

export class VirusTotalClient implements EnrichmentProvider<VirusTotalSummary> {
  readonly name = 'virustotal' as const;
  readonly kinds: readonly IndicatorKind[] = ['ip', 'sha256', 'md5', 'url'];
  readonly #http: ProviderHttp;
  readonly #key: string;
  readonly #now: () => number;
  /** 429s in a row: a second one right after the minute pause means the daily quota is gone. */
  #consecutive429 = 0;

  constructor(options: VirusTotalOptions) {
    this.#key = options.apiKey;
    this.#now = options.now ?? Date.now;
    this.#http = new ProviderHttp('virustotal', { baseUrl: options.baseUrl ?? VIRUSTOTAL_BASE_URL, timeoutMs: options.timeoutMs, now: this.#now });
  }

  async lookup(kind: IndicatorKind, value: string): Promise<EnrichmentAnswer<VirusTotalSummary>> {
    const target = this.#target(kind, value);
    const response = await this.#http.get(target.path, { 'x-apikey': this.#key });
    if (response.status === 429) this.#consecutive429++;
    this.#http.throwForCommonStatus(response, () => (this.#consecutive429 >= 2 ? secondsUntilUtcMidnight(this.#now()) : MINUTE_RESET_SECONDS));
    this.#consecutive429 = 0;
    if (response.status === 404) return { status: 'not_found' };
    if (response.status === 400) throw this.#http.badIndicator(response);
    if (response.status !== 200) throw this.#http.badResponse(response, 'an unexpected status');
    return { status: 'found', data: this.#summary(response, target.permalink) };
  }

  #target(kind: IndicatorKind, value: string): { path: string; permalink: (id: string | undefined) => string } {
    switch (kind) {
      case 'ip':
        return { path: `ip_addresses/${encodeURIComponent(value)}`, permalink: () => `${GUI}/ip-address/${encodeURIComponent(value)}` };
      case 'sha256':
      case 'md5': {
        const pattern = kind === 'sha256' ? /^[0-9a-f]{64}$/i : /^[0-9a-f]{32}$/i;
        if (!pattern.test(value)) throw this.#rejected(kind);
        return { path: `files/${value.toLowerCase()}`, permalink: (sha256) => `${GUI}/file/${sha256 ?? value.toLowerCase()}` };
      }
      case 'url': {
        const id = virusTotalUrlId(value);
        return { path: `urls/${id}`, permalink: (sha256) => `${GUI}/url/${sha256 ?? id}` };
      }
    }
  }

  #rejected(kind: IndicatorKind): EnrichmentError {
    return new EnrichmentError('T2M_ENRICH_BAD_INDICATOR', 'virustotal', `not a well-formed ${kind} hash`, { hint: 'only well-formed hashes are looked up' });
  }

  #summary(response: ProviderResponse, permalink: (sha256: string | undefined) => string): VirusTotalSummary {
    const data = asRecord(asRecord(response.body)?.['data']);
    if (data === undefined) throw this.#http.badResponse(response, 'no `data` object');
    const attributes = asRecord(data['attributes']) ?? {};
    const stats = asRecord(attributes['last_analysis_stats']) ?? {};
    const sha256 = typeof attributes['sha256'] === 'string' && /^[0-9a-f]{64}$/i.test(attributes['sha256'])
      ? attributes['sha256'].toLowerCase()
      : typeof data['id'] === 'string' && data['type'] === 'url' && /^[0-9a-f]{64}$/i.test(data['id']) ? data['id'] : undefined;
    return {
      provider: 'virustotal',
      malicious: count(stats['malicious']),
      suspicious: count(stats['suspicious']),
      harmless: count(stats['harmless']),
      undetected: count(stats['undetected']),
      reputation: finiteOrNull(attributes['reputation']),
      lastAnalysisDate: finiteOrNull(attributes['last_analysis_date']),
      permalink: permalink(sha256),
    };
  }

  async close(): Promise<void> {
    await this.#http.close();
  }
}
