// A small MISP REST client on undici: keep-alive, verified TLS by default, retries for 5xx and network errors.
import { readFileSync } from 'node:fs';
import { Agent, RetryAgent, errors as undiciErrors, type Dispatcher } from 'undici';
import { Tpot2MispError } from '../errors.js';

export interface MispHttpOptions {
  readonly url: string;
  readonly key: string;
  readonly verifySsl: boolean;
  readonly caFile?: string;
  /** Retry policy; defaults suit a real MISP (tests shorten the waits). */
  readonly retry?: { readonly maxRetries?: number; readonly minTimeoutMs?: number; readonly maxTimeoutMs?: number };
  readonly timeoutMs?: number;
  /**
   * Told of every request: its endpoint with ids replaced by `{id}`, and the HTTP status of its last attempt (0: no
   * answer at all). A request retried counts once.
   */
  readonly onResponse?: (endpoint: string, status: number) => void;
}

/** `/events/edit/6f0c…/metadata:1` → `/events/edit/{id}`: a bounded label. */
export function endpointOf(path: string): string {
  return path
    .split('?')[0]!
    .split('/')
    .filter((segment) => !segment.includes(':'))
    .map((segment) => (/^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(segment) || /^\d+$/.test(segment) ? '{id}' : segment))
    .join('/');
}

export interface MispResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON, or undefined when MISP answered something else (HTML login page, empty body). */
  readonly body: unknown;
  /** The raw text when the body was not JSON (bounded), for error messages. */
  readonly text?: string;
}

const MAX_ERROR_TEXT = 300;

/** The message MISP puts in a JSON error body, bounded and single-line. */
export function mispMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof record['message'] === 'string') parts.push(record['message']);
  else if (typeof record['name'] === 'string') parts.push(record['name']);
  if (record['errors'] !== undefined) parts.push(JSON.stringify(record['errors']));
  const text = parts.join(': ').replace(/\s+/g, ' ').trim();
  return text.length > 0 ? text.slice(0, MAX_ERROR_TEXT) : undefined;
}

export class MispHttpClient {
  readonly #base: URL;
  readonly #key: string;
  readonly #dispatcher: Dispatcher;
  readonly #agent: Agent;
  readonly #onResponse: ((endpoint: string, status: number) => void) | undefined;
  #requests = 0;

  constructor(options: MispHttpOptions) {
    this.#base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.#key = options.key;
    this.#onResponse = options.onResponse;
    const ca = options.caFile !== undefined ? readFileSync(options.caFile) : undefined;
    const timeout = options.timeoutMs ?? 120_000;
    this.#agent = new Agent({
      connections: 8,
      keepAliveTimeout: 10_000,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: { rejectUnauthorized: options.verifySsl, ...(ca !== undefined && { ca }), timeout: 15_000 },
    });
    // Every write carries client-chosen UUIDs, so POSTs are safe to repeat: MISP answers a repeat as a duplicate.
    this.#dispatcher = new RetryAgent(this.#agent, {
      maxRetries: options.retry?.maxRetries ?? 5,
      minTimeout: options.retry?.minTimeoutMs ?? 500,
      maxTimeout: options.retry?.maxTimeoutMs ?? 30_000,
      timeoutFactor: 2,
      methods: ['GET', 'POST', 'PUT', 'HEAD'],
      statusCodes: [429, 500, 502, 503, 504],
      errorCodes: ['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'ENETDOWN', 'ENETUNREACH', 'EHOSTDOWN', 'EHOSTUNREACH', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET'],
    });
  }

  /** Requests made so far (retries included are counted by MISP, not here). */
  get requestCount(): number {
    return this.#requests;
  }

  get baseUrl(): string {
    return this.#base.origin + this.#base.pathname.replace(/\/$/, '');
  }

  async request(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<MispResponse> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    this.#requests++;
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers: {
          authorization: this.#key,
          accept: 'application/json',
          'content-type': 'application/json',
          'user-agent': 'tpot2misp',
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      // Retries that ran out on an HTTP answer (503 for a minute) are MISP answering, not MISP unreachable (0).
      const status = error instanceof undiciErrors.RequestRetryError ? error.statusCode : 0;
      this.#onResponse?.(`${method} ${endpointOf(url.pathname)}`, status);
      throw this.#transportError(error, method, url);
    }
    this.#onResponse?.(`${method} ${endpointOf(url.pathname)}`, response.statusCode);
    const contentType = String(response.headers['content-type'] ?? '');
    const raw = await response.body.text();
    if (contentType.includes('json') || /^\s*[[{]/.test(raw)) {
      try {
        return { status: response.statusCode, headers: response.headers, body: JSON.parse(raw) };
      } catch {
        // fall through: report as text
      }
    }
    return { status: response.statusCode, headers: response.headers, body: undefined, text: raw.slice(0, MAX_ERROR_TEXT) };
  }

  #transportError(error: unknown, method: string, url: URL): Tpot2MispError {
    const where = `${method} ${url.origin}${url.pathname}`;
    if (error instanceof undiciErrors.RequestRetryError) {
      return new Tpot2MispError('T2M_MISP_HTTP', `MISP kept answering HTTP ${error.statusCode} to ${where} after retries`, {
        cause: error,
        hint: 'MISP is overloaded or failing; check its logs. The data is kept and sent again on the next run.',
        status: error.statusCode,
      });
    }
    const code = (error as { code?: string }).code ?? '';
    const message = (error as Error).message;
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code + message)) {
      return new Tpot2MispError('T2M_MISP_UNREACHABLE', `TLS verification of ${url.origin} failed (${code || message})`, {
        cause: error,
        hint: 'give MISP_CA_FILE the CA that signed MISP\'s certificate (or, only for testing, MISP_VERIFY_SSL=false)',
      });
    }
    return new Tpot2MispError('T2M_MISP_UNREACHABLE', `cannot reach MISP at ${url.origin} (${code || message})`, {
      cause: error,
      hint: 'check MISP_URL and that MISP is running and reachable from this host',
    });
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
    await this.#agent.close().catch(() => undefined);
  }
}
