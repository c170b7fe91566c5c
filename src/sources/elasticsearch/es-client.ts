// A thin Elasticsearch client on undici for the few endpoints batch mode needs (GET /, PIT, _search).
// Plain `application/json` works with ES 8.x and 9.x alike; the official client's compatibility header
// does not (ES 8 refuses `compatible-with=9`). Every error becomes one line naming the likely cause,
// including the HTML pages T-Pot's nginx answers with (401, 413, 502/504, its landing page).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Agent, RetryAgent, errors as undiciErrors, type Dispatcher } from 'undici';
import type { Config } from '../../config.js';
import { Tpot2MispError } from '../../errors.js';

export interface EsClientOptions {
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
  readonly caFile?: string;
  readonly verifySsl: boolean;
  readonly timeoutMs?: number;
  /** Retries of searches on 429/5xx and network errors (the first contact never retries: fail fast). */
  readonly retry?: { readonly maxRetries?: number; readonly minTimeoutMs?: number; readonly maxTimeoutMs?: number };
}

export interface EsInfo {
  readonly version: string;
  readonly clusterName: string;
  /** `x-elastic-product` or the distribution OpenSearch reports. */
  readonly product: string;
}

export interface EsHit {
  readonly _id: string;
  readonly _source?: Record<string, unknown>;
  readonly sort?: readonly unknown[];
}

export interface EsSearchResponse {
  readonly pit_id?: string;
  readonly hits: { readonly total?: { readonly value: number; readonly relation: string }; readonly hits: readonly EsHit[] };
}

// Errors keep their `error` and `status`: ES applies filter_path to error bodies too.
const SEARCH_FILTER_PATH = 'pit_id,hits.total,hits.hits._id,hits.hits._source,hits.hits.sort,error,status';

/** nginx in front of T-Pot's ES refuses bodies over 2 MB (client_max_body_size). */
export const MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024 - 4096;
const MAX_ERROR_TEXT = 300;

/** The URL without credentials, for messages and checkpoint names. */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/**
 * T-Pot's certificate names only an IP (no CN), so a host name or NAT address never matches it.
 * Whoever sets ELASTICSEARCH_CA_FILE to that very certificate has pinned it: accept exactly it, and
 * otherwise check the name as usual.
 */
function pinnedIdentityCheck(caPem: string): (host: string, cert: PeerCertificate) => Error | undefined {
  const pinned = new Set<string>();
  for (const block of caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    try {
      pinned.add(new X509Certificate(block).fingerprint256);
    } catch {
      // not a certificate we can read: it simply pins nothing
    }
  }
  return (host, cert) => (pinned.has(cert.fingerprint256) ? undefined : checkServerIdentity(host, cert));
}

/** A client for the ELASTICSEARCH_* settings. */
export function esClientFor(es: Config['elasticsearch'], retry?: EsClientOptions['retry']): EsClient {
  return new EsClient({
    url: es.url ?? '',
    verifySsl: es.verifySsl,
    ...(es.user !== undefined && { user: es.user }),
    ...(es.password !== undefined && { password: es.password }),
    ...(es.caFile !== undefined && { caFile: es.caFile }),
    ...(retry !== undefined && { retry }),
  });
}

export class EsClient {
  readonly #base: URL;
  readonly #origin: string;
  readonly #authorization?: string;
  readonly #agent: Agent;
  readonly #retrying: Dispatcher;
  #requests = 0;
  #bytesReceived = 0;

  constructor(options: EsClientOptions) {
    const url = new URL(options.url);
    const user = options.user ?? (url.username !== '' ? decodeURIComponent(url.username) : undefined);
    const password = options.password ?? (url.password !== '' ? decodeURIComponent(url.password) : undefined);
    url.username = '';
    url.password = '';
    this.#base = url;
    this.#origin = displayUrl(options.url);
    if (user !== undefined) this.#authorization = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
    const caPem = options.caFile !== undefined ? readFileSync(options.caFile, 'utf8') : undefined;
    const timeout = options.timeoutMs ?? 120_000;
    this.#agent = new Agent({
      connections: 4,
      keepAliveTimeout: 4_000, // under nginx's keepalive_timeout of 5 s
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: {
        rejectUnauthorized: options.verifySsl,
        timeout: 15_000,
        ...(caPem !== undefined && { ca: caPem, checkServerIdentity: pinnedIdentityCheck(caPem) }),
      },
    });
    this.#retrying = new RetryAgent(this.#agent, {
      maxRetries: options.retry?.maxRetries ?? 5,
      minTimeout: options.retry?.minTimeoutMs ?? 1_000,
      maxTimeout: options.retry?.maxTimeoutMs ?? 30_000,
      timeoutFactor: 2,
      methods: ['GET', 'POST', 'DELETE'],
      statusCodes: [429, 502, 503, 504],
      errorCodes: ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET'],
    });
  }

  get requestCount(): number {
    return this.#requests;
  }

  /** Response body bytes received (after decompression), for the benchmark. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** `GET /` on the URL exactly as configured: proves it is Elasticsearch and tells its version. */
  async info(): Promise<EsInfo> {
    const response = await this.#request(this.#agent, 'GET', this.#base, undefined);
    const body = response.json as { version?: { number?: string; distribution?: string }; cluster_name?: string } | undefined;
    const version = body?.version?.number;
    if (typeof version !== 'string') {
      throw new Tpot2MispError('T2M_ES_UNREACHABLE', `${this.#origin} answered GET / with JSON that is not Elasticsearch's`, {
        hint: 'ELASTICSEARCH_URL must point at T-Pot\'s Elasticsearch: https://<tpot>:64297/es/ or http://127.0.0.1:64298',
      });
    }
    const major = Number(version.split('.')[0]);
    const product = String(response.headers['x-elastic-product'] ?? body?.version?.distribution ?? 'Elasticsearch');
    if (product === 'Elasticsearch' && major < 7) {
      throw new Tpot2MispError('T2M_ES_UNREACHABLE', `Elasticsearch ${version} at ${this.#origin} is too old (point in time needs 7.10 or later)`);
    }
    return { version, clusterName: String(body?.cluster_name ?? ''), product };
  }

  /** Indices matching `pattern` with their document counts (newest first). */
  async indices(pattern: string): Promise<{ index: string; docs: number }[]> {
    const url = this.#url(`_cat/indices/${encodeURIComponent(pattern)}?format=json&h=index,docs.count&expand_wildcards=open`);
    const response = await this.#request(this.#retrying, 'GET', url, undefined);
    const rows = Array.isArray(response.json) ? (response.json as { index?: string; 'docs.count'?: string }[]) : [];
    return rows.map((r) => ({ index: String(r.index), docs: Number(r['docs.count'] ?? 0) })).sort((a, b) => (a.index < b.index ? 1 : -1));
  }

  /** Documents per `type` with @timestamp at or after `since` (ms). */
  async countByType(pattern: string, since: number): Promise<Map<string, number>> {
    const url = this.#url(`${encodeURIComponent(pattern)}/_search?ignore_unavailable=true`);
    const response = await this.#request(this.#retrying, 'POST', url, {
      size: 0,
      query: { range: { '@timestamp': { gte: new Date(since).toISOString() } } },
      aggs: { types: { terms: { field: 'type.keyword', size: 200 } } },
    });
    const buckets = (response.json as { aggregations?: { types?: { buckets?: { key: string; doc_count: number }[] } } } | undefined)?.aggregations?.types?.buckets ?? [];
    return new Map(buckets.map((b) => [b.key, b.doc_count]));
  }

  async openPit(index: string, keepAlive: string): Promise<string> {
    const url = this.#url(`${encodeURIComponent(index)}/_pit?keep_alive=${keepAlive}&ignore_unavailable=true`);
    const response = await this.#request(this.#retrying, 'POST', url, undefined);
    const id = (response.json as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') throw this.#unexpected(response, 'opening a point in time');
    return id;
  }

  async search(body: Record<string, unknown>): Promise<EsSearchResponse> {
    // `filter_path`: each hit's `_index` and `_score` (about 50 bytes a document) never cross the network.
    const response = await this.#request(this.#retrying, 'POST', this.#url(`_search?filter_path=${SEARCH_FILTER_PATH}`), body);
    const json = response.json as Partial<EsSearchResponse> | undefined;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw this.#unexpected(response, 'a search');
    const hits = json.hits?.hits ?? [];
    if (!Array.isArray(hits)) throw this.#unexpected(response, 'a search');
    // ES leaves out what filtering emptied: a page with no hits has no `hits.hits`.
    return { ...(json.pit_id !== undefined && { pit_id: json.pit_id }), hits: { ...(json.hits?.total !== undefined && { total: json.hits.total }), hits } };
  }

  /**
   * Indexes documents with one `_bulk` request (for `tpot2misp simulate`); the caller keeps the batch under
   * nginx's 2 MB. Returns how many ES refused.
   */
  async bulkIndex(docs: readonly { readonly index: string; readonly source: Record<string, unknown> }[]): Promise<number> {
    const ndjson = docs.map((d) => `${JSON.stringify({ index: { _index: d.index } })}\n${JSON.stringify(d.source)}\n`).join('');
    const response = await this.#request(this.#retrying, 'POST', this.#url('_bulk?filter_path=errors,items.*.error.type'), ndjson, 'application/x-ndjson');
    const json = response.json as { errors?: boolean; items?: Record<string, { error?: unknown }>[] } | undefined;
    if (json?.errors !== true) return 0;
    return (json.items ?? []).filter((item) => Object.values(item).some((r) => r.error !== undefined)).length;
  }

  async closePit(id: string): Promise<void> {
    // A PIT expires by itself; failing to close one early is not worth an error.
    await this.#request(this.#agent, 'DELETE', this.#url('_pit'), { id }).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.#retrying.close().catch(() => undefined);
    await this.#agent.close().catch(() => undefined);
  }

  #url(path: string): URL {
    const base = this.#base.pathname.endsWith('/') ? this.#base : new URL(`${this.#base.pathname}/`, this.#base);
    return new URL(path, base);
  }

  async #request(
    dispatcher: Dispatcher,
    method: 'GET' | 'POST' | 'DELETE',
    url: URL,
    body: Record<string, unknown> | string | undefined,
    requestType = 'application/json',
  ): Promise<{ status: number; headers: Dispatcher.ResponseData['headers']; json: unknown }> {
    const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
    if (payload !== undefined && Buffer.byteLength(payload) > MAX_REQUEST_BODY_BYTES) {
      // A programming error, not an operator's: never build what nginx would refuse with 413.
      throw new Tpot2MispError('T2M_SOURCE_IO', `refusing to send a ${Buffer.byteLength(payload)}-byte request body (nginx allows 2 MB)`);
    }
    this.#requests++;
    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers: {
          accept: 'application/json',
          'user-agent': 'tpot2misp',
          ...(payload !== undefined && { 'content-type': requestType }),
          ...(this.#authorization !== undefined && { authorization: this.#authorization }),
        },
        ...(payload !== undefined && { body: payload }),
      });
    } catch (error) {
      throw this.#transportError(error);
    }
    const raw = await response.body.text();
    this.#bytesReceived += Buffer.byteLength(raw);
    const contentType = String(response.headers['content-type'] ?? '');
    let json: unknown;
    if (contentType.includes('json')) {
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
    }
    const result = { status: response.statusCode, headers: response.headers, json };
    if (response.statusCode >= 200 && response.statusCode < 300 && json !== undefined) return result;
    throw this.#httpError(response.statusCode, contentType, raw, json, url);
  }

  #httpError(status: number, contentType: string, raw: string, json: unknown, url: URL): Tpot2MispError {
    const html = contentType.includes('html') || /^\s*</.test(raw);
    const origin = this.#origin;
    if (status === 401 || status === 403) {
      return new Tpot2MispError('T2M_ES_AUTH', `${origin} refused the credentials (HTTP ${status})`, {
        status,
        hint: this.#authorization === undefined
          ? 'T-Pot\'s nginx needs its web UI user: set ELASTICSEARCH_USER and ELASTICSEARCH_PASSWORD'
          : 'check ELASTICSEARCH_USER and ELASTICSEARCH_PASSWORD: they are T-Pot\'s web UI user (WEB_USER in ~/tpotce/.env)',
      });
    }
    if (status >= 200 && status < 300 && html) {
      const slash = !this.#base.pathname.endsWith('/');
      return new Tpot2MispError('T2M_ES_UNREACHABLE', `${origin} answered with a web page, not Elasticsearch${slash ? ' (the URL has no trailing slash)' : ''}`, {
        hint: slash
          ? `add the trailing slash: ELASTICSEARCH_URL=${origin.replace(/\/?$/, '/')} (T-Pot's nginx only proxies /es/ to Elasticsearch)`
          : 'ELASTICSEARCH_URL must point at T-Pot\'s Elasticsearch: https://<tpot>:64297/es/ or http://127.0.0.1:64298',
      });
    }
    if (status === 413) {
      return new Tpot2MispError('T2M_ES_UNREACHABLE', `${origin} refused a request as too large (HTTP 413, nginx's 2 MB limit)`, { status });
    }
    if (status === 502 || status === 503 || status === 504) {
      return new Tpot2MispError('T2M_ES_UNREACHABLE', `Elasticsearch behind ${origin} is down or not answering (HTTP ${status}${html ? ' from the proxy' : ''})`, {
        status,
        hint: 'check that T-Pot\'s elasticsearch container is running and healthy (docker ps; it needs a few minutes after boot); the run will pick up where it stopped',
      });
    }
    if (status === 404 && html) {
      return new Tpot2MispError('T2M_ES_UNREACHABLE', `${origin} answered ${url.pathname} with a web page (HTTP 404), not Elasticsearch`, {
        status,
        hint: 'ELASTICSEARCH_URL must point at T-Pot\'s Elasticsearch: https://<tpot>:64297/es/ or http://127.0.0.1:64298',
      });
    }
    const reason = (json as { error?: { type?: string; reason?: string } } | undefined)?.error;
    const detail = reason !== undefined ? `${reason.type ?? 'error'}: ${reason.reason ?? ''}` : raw.replace(/\s+/g, ' ').slice(0, MAX_ERROR_TEXT);
    return new Tpot2MispError('T2M_ES_UNREACHABLE', `Elasticsearch answered HTTP ${status} to ${url.pathname}: ${detail.slice(0, MAX_ERROR_TEXT)}`, { status });
  }

  #unexpected(response: { status: number }, what: string): Tpot2MispError {
    return new Tpot2MispError('T2M_ES_UNREACHABLE', `Elasticsearch at ${this.#origin} gave an unexpected answer to ${what} (HTTP ${response.status})`);
  }

  #transportError(error: unknown): Tpot2MispError {
    if (error instanceof Tpot2MispError) return error;
    if (error instanceof undiciErrors.RequestRetryError) return this.#httpError(error.statusCode, 'text/html', '', undefined, this.#base);
    const code = (error as { code?: string }).code ?? '';
    const message = (error as Error).message ?? String(error);
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|altnames/i.test(`${code} ${message}`)) {
      return new Tpot2MispError('T2M_ES_UNREACHABLE', `the TLS certificate of ${this.#origin} is not trusted (${code || message})`, {
        cause: error,
        hint: 'T-Pot\'s nginx uses a self-signed certificate: copy ~/tpotce/data/nginx/cert/nginx.crt from the T-Pot host and set ELASTICSEARCH_CA_FILE to it (ELASTICSEARCH_VERIFY_SSL=false only for a test)',
      });
    }
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_SOCKET') {
      return new Tpot2MispError('T2M_ES_UNREACHABLE', `cannot reach Elasticsearch at ${this.#origin} (${code}): it is down, or the host or port is wrong`, {
        cause: error,
        hint: 'from another host use https://<tpot>:64297/es/ (T-Pot\'s nginx); on the T-Pot host itself http://127.0.0.1:64298',
      });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new Tpot2MispError('T2M_ES_UNREACHABLE', `the host of ${this.#origin} does not resolve (${code})`, { cause: error, hint: 'check the host name in ELASTICSEARCH_URL' });
    }
    return new Tpot2MispError('T2M_ES_UNREACHABLE', `request to Elasticsearch at ${this.#origin} failed (${code || message})`, { cause: error });
  }
}
