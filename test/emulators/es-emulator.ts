// An Elasticsearch emulator for tests and benchmarks: holds documents and answers the endpoints batch mode
// uses with real ES shapes and errors (GET /, _pit open/close, _search with PIT + search_after + sort +
// size + _source filtering + bool/range/term/terms). It can sit behind T-Pot's nginx the way users reach
// ES (path prefix, basic auth, HTML error pages, 2 MB body and ~1.2 KB request-line limits) and counts
// requests and bytes.
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export interface EsEmulatorOptions {
  /** `version.number` of GET / (T-Pot hosts run 8.x or 9.x). */
  readonly version?: string;
  /** Put it behind an nginx like T-Pot's: `/es/` prefix, basic auth, HTML errors. */
  readonly nginx?: { readonly prefix?: string; readonly user: string; readonly password: string };
  /**
   * Serve `count` documents made on demand by `doc(i)` (its @timestamp must never decrease with i)
   * instead of stored ones, so that benchmarks can serve millions without holding them.
   */
  readonly generated?: { readonly count: number; doc(i: number): Json };
  /** Loopback port (0: any free one). */
  readonly port?: number;
  /** Serve HTTPS with this key and certificate. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

export interface StoredDoc {
  readonly index: string;
  readonly id: string;
  readonly source: Json;
  readonly ts: number;
  /** Position in the index order: the `_shard_doc` tiebreaker. */
  readonly seq: number;
}

export interface EsEmulator {
  readonly url: string;
  /** Adds documents (each to `logstash-YYYY.MM.dd` of its @timestamp); returns how many. */
  add(sources: Iterable<Json>): number;
  readonly requests: { readonly total: number; readonly byEndpoint: Readonly<Record<string, number>>; readonly bytesSent: number; readonly bytesOfFullSource: number };
  /**
   * The next `count` requests get nginx's HTML answer with this status (502/504: ES down; 429 is ES's own
   * JSON `es_rejected_execution_exception`), once `afterSearches` more `_search` requests have been answered.
   */
  failNext(status: number, count?: number, afterSearches?: number): void;
  /**
   * Every open point in time expires (its searches answer 404 `search_context_missing_exception`, as when
   * keep_alive passed between two pages): now, or once `afterSearches` more `_search` requests have been answered.
   */
  expirePits(afterSearches?: number): void;
  /** Points in time expired by `expirePits`. */
  readonly expiredPits: number;
  /** Requests seen (method and path), in order. */
  readonly log: readonly string[];
  close(): Promise<void>;
}

const MAX_WINDOW = 10_000;
const KEYWORD_IGNORE_ABOVE = 256;
const NGINX_BODY_LIMIT = 2 * 1024 * 1024;
const NGINX_LINE_LIMIT = 1280;

function nginxPage(status: number, reason: string): string {
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

const REASONS: Record<number, string> = { 401: 'Authorization Required', 413: 'Request Entity Too Large', 414: 'Request-URI Too Large', 502: 'Bad Gateway', 504: 'Gateway Time-out' };

function esError(status: number, type: string, reason: string): [number, Json] {
  return [status, { error: { root_cause: [{ type, reason }], type, reason }, status }];
}

// The collector asks for ~100 fields on every page: splitting their paths once keeps the emulator from costing more
// than the pipeline it measures.
const pathParts = new Map<string, readonly string[]>();
function partsOf(path: string): readonly string[] {
  let parts = pathParts.get(path);
  if (parts === undefined) pathParts.set(path, (parts = path.split('.')));
  return parts;
}

function valueAt(source: Json, path: string): unknown {
  if (Object.hasOwn(source, path)) return source[path];
  let current: unknown = source;
  for (const part of partsOf(path)) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Json)[part];
  }
  return current;
}

/** What a `.keyword` sub-field would hold: strings up to 256 chars (T-Pot's dynamic template). */
function keywordValues(source: Json, field: string): string[] {
  const raw = valueAt(source, field.replace(/\.keyword$/, ''));
  const list = Array.isArray(raw) ? raw : [raw];
  return list.filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v)).map(String).filter((v) => v.length <= KEYWORD_IGNORE_ABOVE);
}

function dateOf(value: unknown): number {
  if (typeof value === 'number') return value;
  return Date.parse(String(value));
}

/** A `terms` list as a set, made once per query rather than once per document. */
const termSets = new WeakMap<readonly unknown[], ReadonlySet<string>>();
function termSet(wanted: readonly unknown[]): ReadonlySet<string> {
  let set = termSets.get(wanted);
  if (set === undefined) termSets.set(wanted, (set = new Set(wanted.map(String))));
  return set;
}

function matches(query: Json | undefined, doc: StoredDoc): boolean {
  if (query === undefined) return true;
  const [kind, body] = Object.entries(query)[0] ?? ['match_all', {}];
  const spec = body as Json;
  switch (kind) {
    case 'match_all':
      return true;
    case 'bool': {
      const list = (key: string) => [spec[key] ?? []].flat() as Json[];
      if (!list('filter').every((q) => matches(q, doc)) || !list('must').every((q) => matches(q, doc))) return false;
      if (list('must_not').some((q) => matches(q, doc))) return false;
      const should = list('should');
      const minimum = Number(spec['minimum_should_match'] ?? (list('filter').length + list('must').length > 0 ? 0 : 1));
      return should.length === 0 || should.filter((q) => matches(q, doc)).length >= Math.min(minimum, should.length);
    }
    case 'term': {
      const [field, wanted] = Object.entries(spec)[0]!;
      const value = typeof wanted === 'object' && wanted !== null ? (wanted as Json)['value'] : wanted;
      return keywordValues(doc.source, field).includes(String(value));
    }
    case 'terms': {
      const [field, wanted] = Object.entries(spec)[0]!;
      const values = termSet(wanted as unknown[]);
      return keywordValues(doc.source, field).some((v) => values.has(v));
    }
    case 'range': {
      const [field, bounds] = Object.entries(spec)[0]! as [string, Json];
      const value = field === '@timestamp' ? doc.ts : dateOf(valueAt(doc.source, field));
      if (Number.isNaN(value)) return false;
      if (bounds['gte'] !== undefined && !(value >= dateOf(bounds['gte']))) return false;
      if (bounds['gt'] !== undefined && !(value > dateOf(bounds['gt']))) return false;
      if (bounds['lte'] !== undefined && !(value <= dateOf(bounds['lte']))) return false;
      if (bounds['lt'] !== undefined && !(value < dateOf(bounds['lt']))) return false;
      return true;
    }
    default:
      throw new Error(`unsupported query ${kind}`);
  }
}

function setPath(target: Json, path: string, value: unknown): void {
  const parts = partsOf(path);
  let current = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof current[part] !== 'object' || current[part] === null) current[part] = {};
    current = current[part] as Json;
  }
  current[parts.at(-1)!] = value;
}

/**
 * ES's `filter_path` response filtering, for exact dotted paths (what the collector sends): keeps only those
 * paths, descending through arrays; objects left empty disappear, as in ES (an empty page has no `hits.hits`).
 */
function filterPath(value: unknown, paths: readonly string[]): Json {
  const keep = (node: unknown, parts: readonly string[]): unknown => {
    if (parts.length === 0) return node;
    if (Array.isArray(node)) {
      const items = node.map((item) => keep(item, parts)).filter((item) => item !== undefined);
      return items.length > 0 ? items : undefined;
    }
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, parts[0]!)) return undefined;
    const inner = keep((node as Json)[parts[0]!], parts.slice(1));
    return inner === undefined ? undefined : { [parts[0]!]: inner };
  };
  const merge = (a: unknown, b: unknown): unknown => {
    if (Array.isArray(a) && Array.isArray(b)) return a.map((item, i) => merge(item, b[i]));
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
      const out: Json = { ...(a as Json) };
      for (const [k, v] of Object.entries(b as Json)) out[k] = k in out ? merge(out[k], v) : v;
      return out;
    }
    return b ?? a;
  };
  let out: unknown = {};
  for (const path of paths) {
    const kept = keep(value, path.trim().split('.'));
    if (kept !== undefined) out = merge(out, kept);
  }
  return out as Json;
}

/** `_source.includes` on exact paths (the only form the collector sends). */
function filterSource(source: Json, includes: readonly string[] | undefined): Json {
  if (includes === undefined) return source;
  const out: Json = {};
  for (const path of includes) {
    if (Object.hasOwn(source, path)) out[path] = source[path];
    else {
      const value = valueAt(source, path);
      if (value !== undefined) setPath(out, path, value);
    }
  }
  return out;
}

export async function startEsEmulator(options: EsEmulatorOptions = {}): Promise<EsEmulator> {
  const version = options.version ?? '9.3.5';
  const major = Number(version.split('.')[0]);
  const prefix = options.nginx?.prefix ?? (options.nginx ? '/es/' : '/');
  const expectedAuth = options.nginx ? `Basic ${Buffer.from(`${options.nginx.user}:${options.nginx.password}`).toString('base64')}` : undefined;
  const docs: StoredDoc[] = [];
  let sorted = true;
  const pits = new Map<string, { visible: number; cache: Map<string, StoredDoc[]> }>();
  const byEndpoint: Record<string, number> = {};
  const log: string[] = [];
  let total = 0;
  let bytesSent = 0;
  let bytesOfFullSource = 0;
  let failures: { status: number; count: number; afterSearches: number } | undefined;
  let pitExpiry: { afterSearches: number } | undefined;
  let expiredPits = 0;

  function expireAllPits(): void {
    expiredPits += pits.size;
    pits.clear();
  }

  /** Counts an answered `_search` towards the faults waiting for one. */
  function searchAnswered(): void {
    if (failures !== undefined && failures.afterSearches > 0) failures.afterSearches--;
    if (pitExpiry !== undefined && --pitExpiry.afterSearches <= 0) {
      pitExpiry = undefined;
      expireAllPits();
    }
  }

  function ordered(): StoredDoc[] {
    if (!sorted) {
      docs.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      sorted = true;
    }
    return docs;
  }

  function search(body: Json): [number, Json] {
    const pit = body['pit'] as Json | undefined;
    if (pit === undefined) return esError(400, 'action_request_validation_exception', 'Validation Failed: 1: this emulator only serves searches with a point in time;');
    const state = pits.get(String(pit['id']));
    if (state === undefined) {
      // What ES answers once a point in time's keep_alive passed: every shard's search context is gone.
      const missing = { type: 'search_context_missing_exception', reason: `No search context found for id [${String(pit['id']).slice(0, 40)}]` };
      return [404, { error: { root_cause: [missing], type: 'search_phase_execution_exception', reason: 'all shards failed', phase: 'query', grouped: true, failed_shards: [{ shard: -1, index: null, reason: missing }], caused_by: missing }, status: 404 }];
    }
    const size = Number(body['size'] ?? 10);
    if (size + Number(body['from'] ?? 0) > MAX_WINDOW) {
      return esError(400, 'illegal_argument_exception', `Result window is too large, from + size must be less than or equal to: [${MAX_WINDOW}] but was [${size}].`);
    }
    const sort = JSON.stringify(body['sort'] ?? []);
    if (!sort.includes('@timestamp') || !sort.includes('_shard_doc')) return esError(400, 'illegal_argument_exception', `this emulator sorts by @timestamp and _shard_doc only, got ${sort}`);
    const includes = (body['_source'] as Json | undefined)?.['includes'] as string[] | undefined;
    if (options.generated !== undefined) return searchGenerated(options.generated, body, size, includes, pit);
    const key = JSON.stringify(body['query'] ?? {});
    let hits = state.cache.get(key);
    if (hits === undefined) {
      const query = body['query'] as Json | undefined;
      hits = ordered().filter((d) => d.seq < state.visible && matches(query, d));
      state.cache.set(key, hits);
    }
    let start = 0;
    const after = body['search_after'] as [number, number] | undefined;
    if (after !== undefined) {
      const [ts, seq] = after;
      let lo = 0;
      let hi = hits.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const d = hits[mid]!;
        if (d.ts < ts || (d.ts === ts && d.seq <= seq)) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const page = hits.slice(start, start + size).map((d) => hitOf(d, includes));
    return [
      200,
      {
        pit_id: pit['id'],
        took: 1,
        timed_out: false,
        _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
        hits: { ...(body['track_total_hits'] !== false && { total: { value: hits.length, relation: 'eq' } }), max_score: null, hits: page },
      },
    ];
  }

  function hitOf(d: StoredDoc, includes: readonly string[] | undefined): Json {
    bytesOfFullSource += Buffer.byteLength(JSON.stringify(d.source));
    return { _index: d.index, _id: d.id, _score: null, _source: filterSource(d.source, includes), sort: [d.ts, d.seq] };
  }

  function storedOf(source: Json, seq: number): StoredDoc {
    const ts = Date.parse(String(source['@timestamp']));
    const day = new Date(ts).toISOString().slice(0, 10).replaceAll('-', '.');
    return { index: `logstash-${day}`, id: `g${seq.toString(36).padStart(9, '0')}`, source, ts, seq };
  }

  // A generated set up to this size (the default benchmark's 200,000 and a bit) is made once, before the emulator
  // answers: a real Elasticsearch has its documents indexed already, making them is not serving them, and a
  // benchmark must not count it. Larger sets stay lazy, so huge runs do not hold them all.
  const MEMO_LIMIT = 250_000;
  const memo: StoredDoc[] = [];
  if (options.generated !== undefined && options.generated.count <= MEMO_LIMIT) {
    for (let i = 0; i < options.generated.count; i++) memo.push(storedOf(options.generated.doc(i), i));
  }
  function generatedDoc(generated: NonNullable<EsEmulatorOptions['generated']>, i: number): StoredDoc {
    return memo[i] ?? storedOf(generated.doc(i), i);
  }

  /** Generated documents are in time order already: find the start by bisection, then filter while paging. */
  /** Every document the emulator holds: those indexed, then the generated set (made on the way when not kept). */
  function* everyDoc(): Generator<StoredDoc> {
    yield* docs;
    const generated = options.generated;
    if (generated !== undefined) for (let i = 0; i < generated.count; i++) yield generatedDoc(generated, i);
  }

  function searchGenerated(generated: NonNullable<EsEmulatorOptions['generated']>, body: Json, size: number, includes: readonly string[] | undefined, pit: Json): [number, Json] {
    const query = body['query'] as Json | undefined;
    const tsAt = (i: number) => generatedDoc(generated, i).ts;
    let start = 0;
    const after = body['search_after'] as [number, number] | undefined;
    if (after !== undefined) start = after[1] + 1;
    else {
      // The range filter's lower bound, if any, found by bisection on the time-ordered documents.
      const gte = /"gte":"([^"]+)"/.exec(JSON.stringify(query ?? {}))?.[1];
      if (gte !== undefined) {
        const bound = Date.parse(gte);
        let lo = 0;
        let hi = generated.count;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (tsAt(mid) < bound) lo = mid + 1;
          else hi = mid;
        }
        start = lo;
      }
    }
    const page: Json[] = [];
    for (let i = start; i < generated.count && page.length < size; i++) {
      const d = generatedDoc(generated, i);
      if (matches(query, d)) page.push(hitOf(d, includes));
    }
    let totalHits: Json | undefined;
    if (body['track_total_hits'] === true) {
      let n = 0;
      for (let i = start; i < generated.count; i++) if (matches(query, generatedDoc(generated, i))) n++;
      totalHits = { value: n, relation: 'eq' };
    }
    return [200, { pit_id: pit['id'], took: 1, timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 }, hits: { ...(totalHits && { total: totalHits }), max_score: null, hits: page } }];
  }

  function route(method: string, path: string, query: URLSearchParams, body: Json | undefined, accept: string): [number, Json] {
    const compat = /compatible-with=(\d+)/.exec(accept);
    if (compat && Number(compat[1]) > major) {
      return esError(400, 'media_type_header_exception', `Invalid media-type value on headers [Accept]: Accept version must be either version ${major} or ${major - 1}, but found ${compat[1]}.`);
    }
    if (method === 'GET' && path === '/') {
      return [200, { name: 'tpot', cluster_name: 'docker-cluster', cluster_uuid: 'x', version: { number: version, build_flavor: 'default', lucene_version: '10.0.0', minimum_wire_compatibility_version: '8.18.0' }, tagline: 'You Know, for Search' }];
    }
    const pitOpen = /^\/([^/]+)\/_pit$/.exec(path);
    if (method === 'POST' && pitOpen) {
      if (!query.has('keep_alive')) return esError(400, 'action_request_validation_exception', 'Validation Failed: 1: [keep_alive] is not specified;');
      const id = randomBytes(60).toString('base64url');
      pits.set(id, { visible: docs.length, cache: new Map() });
      return [200, { id, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } }];
    }
    if (method === 'DELETE' && path === '/_pit') {
      const freed = pits.delete(String(body?.['id']));
      return [200, { succeeded: true, num_freed: freed ? 1 : 0 }];
    }
    if ((method === 'POST' || method === 'GET') && path === '/_search') return search(body ?? {});
    const catIndices = /^\/_cat\/indices\/([^/]+)$/.exec(path);
    if (method === 'GET' && catIndices) {
      const pattern = new RegExp(`^${decodeURIComponent(catIndices[1]!).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      const counts = new Map<string, number>();
      for (const d of everyDoc()) if (pattern.test(d.index)) counts.set(d.index, (counts.get(d.index) ?? 0) + 1);
      return [200, [...counts].map(([index, n]) => ({ index, 'docs.count': String(n) })) as unknown as Json];
    }
    if (/^\/[^/]+\/_search$/.test(path) && body?.['pit'] === undefined && body?.['aggs'] !== undefined) {
      // The diagnostics' terms aggregation: counts per `type` of the matching documents.
      const terms = ((body['aggs'] as Json)['types'] as Json | undefined)?.['terms'] as Json | undefined;
      const field = String(terms?.['field'] ?? 'type.keyword');
      const counts = new Map<string, number>();
      for (const d of everyDoc()) {
        if (!matches(body['query'] as Json | undefined, d)) continue;
        for (const v of keywordValues(d.source, field)) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      const buckets = [...counts].sort((a, b) => b[1] - a[1]).map(([key, doc_count]) => ({ key, doc_count }));
      return [200, { took: 1, timed_out: false, hits: { total: { value: buckets.reduce((n, b) => n + b.doc_count, 0), relation: 'eq' }, max_score: null, hits: [] }, aggregations: { types: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets } } }];
    }
    if (/^\/[^/]+\/_search$/.test(path) && body?.['pit'] !== undefined) {
      return esError(400, 'action_request_validation_exception', 'Validation Failed: 1: [indices] cannot be used with point in time. Do not specify any index with point in time.;');
    }
    return esError(400, 'invalid_index_name_exception', `no handler for ${method} ${path}`);
  }

  function send(res: ServerResponse, status: number, payload: Json): void {
    const text = JSON.stringify(payload);
    bytesSent += Buffer.byteLength(text);
    res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
    res.end(text);
  }

  function sendHtml(res: ServerResponse, status: number): void {
    res.writeHead(status, { 'content-type': 'text/html', server: 'nginx' });
    res.end(status === 200 ? '<!DOCTYPE html><html><head><title>T-Pot</title></head><body>T-Pot landing page</body></html>' : nginxPage(status, REASONS[status] ?? 'Error'));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    total++;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      chunks.push(chunk as Buffer);
    }
    const url = new URL(req.url ?? '/', 'http://emulator');
    log.push(`${req.method} ${url.pathname}`);
    if (options.nginx) {
      if (`${req.method} ${req.url} HTTP/1.1`.length > NGINX_LINE_LIMIT) return sendHtml(res, 414);
      if (size > NGINX_BODY_LIMIT) return sendHtml(res, 413);
      if (req.headers.authorization !== expectedAuth) return sendHtml(res, 401);
      if (!url.pathname.startsWith(prefix)) return sendHtml(res, 200); // nginx's `location /`: the T-Pot landing page
    }
    if (failures !== undefined && failures.count > 0 && failures.afterSearches === 0) {
      failures.count--;
      if (failures.status === 429) {
        const [status, payload] = esError(429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation [search_queue_full]');
        return send(res, status, payload);
      }
      return sendHtml(res, failures.status);
    }
    const path = `/${url.pathname.slice(prefix.length)}`.replace(/\/+$/, '') || '/';
    let body: Json | undefined;
    if (req.method === 'POST' && path === '/_bulk') {
      // NDJSON pairs: an action line ({"index":{"_index":…}}), then the document.
      if (!String(req.headers['content-type'] ?? '').includes('x-ndjson')) {
        const [status, payload] = esError(406, 'media_type_header_exception', 'Content-Type header [application/json] is not supported for _bulk; use application/x-ndjson');
        return send(res, status, payload);
      }
      byEndpoint['POST /_bulk'] = (byEndpoint['POST /_bulk'] ?? 0) + 1;
      const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l.trim() !== '');
      const sources: Json[] = [];
      for (let i = 0; i + 1 < lines.length; i += 2) sources.push(JSON.parse(lines[i + 1]!) as Json);
      emulator.add(sources);
      const filter = url.searchParams.get('filter_path');
      const payload = { took: 1, errors: false, items: sources.map(() => ({ index: { status: 201, result: 'created' } })) };
      return send(res, 200, filter === null ? payload : filterPath(payload, filter.split(',')));
    }
    if (chunks.length > 0) {
      if (!String(req.headers['content-type'] ?? '').includes('json')) {
        const [status, payload] = esError(406, 'media_type_header_exception', 'Content-Type header is missing or not supported');
        return send(res, status, payload);
      }
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      } catch {
        const [status, payload] = esError(400, 'parsing_exception', 'request body is not valid JSON');
        return send(res, status, payload);
      }
    }
    const endpoint = `${req.method} ${path.replace(/^\/[^/_][^/]*\/_pit$/, '/{index}/_pit')}`;
    byEndpoint[endpoint] = (byEndpoint[endpoint] ?? 0) + 1;
    const [status, payload] = route(req.method ?? 'GET', path, url.searchParams, body, String(req.headers.accept ?? ''));
    if (path === '/_search' && status === 200) searchAnswered();
    const filter = url.searchParams.get('filter_path');
    send(res, status, filter === null ? payload : filterPath(payload, filter.split(',')));
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { type: 'emulator_failure', reason: String(error) }, status: 500 });
    });
  };
  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createHttpServer(listener);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const emulator: EsEmulator = {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}${prefix}`,
    add(sources) {
      let n = 0;
      for (const source of sources) {
        const ts = Date.parse(String(source['@timestamp']));
        const day = new Date(ts).toISOString().slice(0, 10).replaceAll('-', '.');
        docs.push({ index: `logstash-${day}`, id: randomBytes(15).toString('base64url'), source, ts, seq: docs.length });
        n++;
      }
      sorted = false;
      return n;
    },
    get requests() {
      return { total, byEndpoint: { ...byEndpoint }, bytesSent, bytesOfFullSource };
    },
    failNext(status, count = 1, afterSearches = 0) {
      failures = { status, count, afterSearches };
    },
    expirePits(afterSearches = 0) {
      if (afterSearches <= 0) expireAllPits();
      else pitExpiry = { afterSearches };
    },
    get expiredPits() {
      return expiredPits;
    },
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return emulator;
}
