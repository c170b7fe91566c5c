// The HTTP plumbing the three provider clients share: one undici Agent per provider, timeouts, bounded
// defensive JSON parsing, and the mapping of statuses every provider treats alike (401/403, 429, 5xx).
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { EnrichmentAuthError, EnrichmentError, EnrichmentRateLimitError, type ProviderName } from './provider.js';

export interface ProviderHttpOptions {
  /** Base URL including the API prefix, e.g. https://www.virustotal.com/api/v3. */
  readonly baseUrl: string;
  /** Whole-request timeout (headers and body). */
  readonly timeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Clock for HTTP-date Retry-After values (ms since the epoch). */
  readonly now?: () => number;
}

export interface ProviderResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON, or undefined when the body was empty, not JSON or too large. */
  readonly body: unknown;
}

/** Larger bodies are not parsed (a verbose AbuseIPDB answer is ~1 MB at worst). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_DETAIL = 200;

export const DEFAULT_TIMEOUT_MS = 15_000;

export class ProviderHttp {
  readonly #provider: ProviderName;
  readonly #base: URL;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(provider: ProviderName, options: ProviderHttpOptions) {
    this.#provider = provider;
    this.#base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
    this.#agent = new Agent({
      connections: 4,
      keepAliveTimeout: 10_000,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    });
  }

  /** GET `path` (relative to the base URL, already encoded). Transport failures become T2M_ENRICH_UNAVAILABLE. */
  async get(path: string, headers: Readonly<Record<string, string>>): Promise<ProviderResponse> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    try {
      const response = await this.#agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'tpot2misp', ...headers },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
        await response.body.dump();
        return { status: response.statusCode, headers: response.headers, body: undefined };
      }
      const raw = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body: parseJson(raw) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error';
      const timedOut = error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || reason === 'TimeoutError' || reason === 'ABORT_ERR';
      throw new EnrichmentError('T2M_ENRICH_UNAVAILABLE', this.#provider, `cannot reach ${this.#provider} at ${url.origin} (${timedOut ? 'timeout' : reason})`, {
        cause: error,
        hint: 'a network problem or provider outage; the indicator is looked up again on a later run',
      });
    }
  }

  /** Maps the statuses all providers share; returns normally for the rest. */
  throwForCommonStatus(response: ProviderResponse, retryAfterFallbackSeconds: () => number): void {
    const { status } = response;
    if (status === 401 || status === 403) throw new EnrichmentAuthError(this.#provider, status, errorDetail(response.body));
    if (status === 429) {
      const seconds = retryAfterSeconds(response.headers['retry-after'], this.#now()) ?? retryAfterFallbackSeconds();
      throw new EnrichmentRateLimitError(this.#provider, seconds, errorDetail(response.body));
    }
    if (status >= 500 || status === 408 || status === 424) {
      throw new EnrichmentError('T2M_ENRICH_UNAVAILABLE', this.#provider, `${this.#provider} answered HTTP ${status}${detailSuffix(response.body)}`, {
        status,
        hint: 'a provider outage; the indicator is looked up again on a later run',
      });
    }
  }

  badResponse(response: ProviderResponse, what: string): EnrichmentError {
    return new EnrichmentError('T2M_ENRICH_BAD_RESPONSE', this.#provider, `${this.#provider} answered HTTP ${response.status} with ${what}`, {
      status: response.status,
      hint: 'the provider API may have changed, or a proxy answered instead of it; check the base URL',
    });
  }

  badIndicator(response: ProviderResponse): EnrichmentError {
    return new EnrichmentError('T2M_ENRICH_BAD_INDICATOR', this.#provider, `${this.#provider} rejected the indicator (HTTP ${response.status}${detailSuffix(response.body)})`, {
      status: response.status,
      hint: 'only public, routable addresses and well-formed hashes/URLs can be looked up',
    });
  }

  async close(): Promise<void> {
    await this.#agent.close().catch(() => undefined);
  }
}

function parseJson(raw: string): unknown {
  if (raw.length === 0 || raw.length > MAX_BODY_BYTES) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** `Retry-After` as seconds (delta-seconds or an HTTP date), undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.max(1, Number(trimmed));
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(1, Math.ceil((at - now) / 1000));
}

/** The first header value as a finite number. */
export function numericHeader(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** The provider's own error text, bounded and single-line (VT `error.message`, AbuseIPDB `errors[0].detail`, GreyNoise `message`). */
export function errorDetail(body: unknown): string | undefined {
  const record = asRecord(body);
  if (record === undefined) return undefined;
  const vt = asRecord(record['error']);
  const abuse = Array.isArray(record['errors']) ? asRecord(record['errors'][0]) : undefined;
  const text = [vt?.['code'], vt?.['message'], abuse?.['detail'], record['message']].filter((v): v is string => typeof v === 'string').join(': ');
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length === 0 ? undefined : clean.slice(0, MAX_DETAIL);
}

function detailSuffix(body: unknown): string {
  const detail = errorDetail(body);
  return detail === undefined ? '' : `: ${detail}`;
}

// Defensive readers: hostile JSON yields undefined, never a throw.

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}

export function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function stringOrNull(value: unknown, max = 500): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
}

export function boolOrNull(value: unknown): boolean | null {
  return typeof value === 'boolean' ? value : null;
}
