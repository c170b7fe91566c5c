// One node:http server emulating VirusTotal v3, AbuseIPDB v2 /check and GreyNoise v3 with the shared
// fixtures (shared/fixtures/enrichment): found / clean / not found per indicator, 401 for a wrong key,
// 429 on demand; it counts requests per provider and keeps the last request of each.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type EmulatedProvider = 'virustotal' | 'abuseipdb' | 'greynoise';

const FIXTURES = new URL('../../../shared/fixtures/enrichment/', import.meta.url);

function fixture(provider: EmulatedProvider, name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`${provider}/${name}`, FIXTURES), 'utf8')) as Record<string, unknown>;
}

/** Indicators the fixtures describe. */
export const FIXTURE_IPS = { malicious: '198.51.100.23', clean: '203.0.113.8', riot: '192.0.2.53', private: '10.0.0.1' } as const;
export const FIXTURE_FILE = {
  sha256: '073f528badb54d03977e5b11a47749b5dfe8e5a76b7f4ff252bb43630f7208e9',
  md5: '1ac3b41b4f1619c43f43e2151685418d',
} as const;

export interface RateLimitMode {
  /** Retry-After header value (VirusTotal and GreyNoise send none by default; AbuseIPDB sends the fixture's 29241). */
  readonly retryAfter?: string;
  /** Only this many requests are refused, then the provider answers normally again. */
  readonly count?: number;
}

export interface SeenRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
}

export interface EnrichmentEmulatorOptions {
  readonly keys?: Partial<Record<EmulatedProvider, string>>;
  readonly port?: number;
  /** Stamps each request (`times`): the test's clock, so that rates are checked in emulated time. */
  readonly clock?: () => number;
}

export interface EnrichmentEmulator {
  readonly url: string;
  /** Base URLs to give the clients. */
  readonly baseUrls: Readonly<Record<EmulatedProvider, string>>;
  readonly keys: Readonly<Record<EmulatedProvider, string>>;
  readonly requests: Record<EmulatedProvider, number>;
  readonly lastRequest: Partial<Record<EmulatedProvider, SeenRequest>>;
  /** When each request arrived (by the `clock` option), per provider, with its status. */
  readonly times: Record<EmulatedProvider, { readonly at: number; readonly status: number }[]>;
  /** Answer every request to `provider` with 429 (undefined: back to normal). */
  rateLimit(provider: EmulatedProvider, mode: RateLimitMode | undefined): void;
  /** Answer requests to `provider` about `value` (an IP or hash as it appears in the path or query) with this reply instead. */
  answer(provider: EmulatedProvider, value: string, reply: { readonly status: number; readonly body: unknown } | undefined): void;
  /** Answer every request to `provider` with this status and body (e.g. 503), undefined: back to normal. */
  fail(provider: EmulatedProvider, failure: { readonly status: number; readonly body: string } | undefined): void;
  close(): Promise<void>;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const ABUSE_HEADERS = { 'X-RateLimit-Limit': '1000', 'X-RateLimit-Remaining': '987', 'X-RateLimit-Reset': '1714608000' };

export async function startEnrichmentEmulator(options: EnrichmentEmulatorOptions = {}): Promise<EnrichmentEmulator> {
  const keys: Record<EmulatedProvider, string> = {
    virustotal: options.keys?.virustotal ?? 'vt-test-key',
    abuseipdb: options.keys?.abuseipdb ?? 'abuse-test-key',
    greynoise: options.keys?.greynoise ?? 'gn-test-key',
  };
  const requests: Record<EmulatedProvider, number> = { virustotal: 0, abuseipdb: 0, greynoise: 0 };
  const lastRequest: Partial<Record<EmulatedProvider, SeenRequest>> = {};
  const limited = new Map<EmulatedProvider, { retryAfter?: string; count: number }>();
  const times: Record<EmulatedProvider, { at: number; status: number }[]> = { virustotal: [], abuseipdb: [], greynoise: [] };
  const clock = options.clock ?? Date.now;
  /** The 429 mode of `provider`, if it still refuses (counts one refusal). */
  const refusing = (provider: EmulatedProvider): { retryAfter?: string } | undefined => {
    const mode = limited.get(provider);
    if (mode === undefined) return undefined;
    if (--mode.count <= 0) limited.delete(provider);
    return mode;
  };
  const failing = new Map<EmulatedProvider, { status: number; body: string }>();
  const overrides = new Map<string, { status: number; body: unknown }>();
  /** The value a request is about: the last path segment, or AbuseIPDB's ipAddress. */
  const subjectOf = (url: URL): string => url.searchParams.get('ipAddress') ?? decodeURIComponent(url.pathname.split('/').at(-1) ?? '');

  function virustotal(req: IncomingMessage, path: string): Reply {
    const key = req.headers['x-apikey'];
    if (key === undefined) return { status: 401, body: fixture('virustotal', 'missing-key.json') };
    if (key !== keys.virustotal) return { status: 401, body: fixture('virustotal', 'wrong-key.json') };
    const mode = refusing('virustotal');
    if (mode !== undefined) return { status: 429, body: fixture('virustotal', 'rate-limited.json'), ...(mode.retryAfter !== undefined && { headers: { 'Retry-After': mode.retryAfter } }) };
    const notFound = (what: string): Reply => ({ status: 404, body: { error: { code: 'NotFoundError', message: `${what} not found` } } });
    const ip = /^\/api\/v3\/ip_addresses\/([^/]+)$/.exec(path);
    if (ip !== null) {
      const value = decodeURIComponent(ip[1]!);
      if (value === FIXTURE_IPS.malicious) return { status: 200, body: fixture('virustotal', 'ip-malicious.json') };
      if (value === FIXTURE_IPS.clean) return { status: 200, body: fixture('virustotal', 'ip-clean.json') };
      return notFound(`Resource "${value}"`);
    }
    const file = /^\/api\/v3\/files\/([^/]+)$/.exec(path);
    if (file !== null) {
      const hash = decodeURIComponent(file[1]!).toLowerCase();
      if (hash === FIXTURE_FILE.sha256 || hash === FIXTURE_FILE.md5) return { status: 200, body: fixture('virustotal', 'file-malicious.json') };
      if (!/^[0-9a-f]{32}$|^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(hash)) return { status: 400, body: { error: { code: 'BadRequestError', message: 'Invalid file hash' } } };
      return { status: 404, body: fixture('virustotal', 'not-found.json') };
    }
    const url = /^\/api\/v3\/urls\/([^/]+)$/.exec(path);
    if (url !== null) return notFound(`URL "${decodeURIComponent(url[1]!)}"`);
    return { status: 404, body: { error: { code: 'NotFoundError', message: 'no such endpoint' } } };
  }

  function abuseipdb(req: IncomingMessage, path: string, query: URLSearchParams): Reply {
    if (path !== '/api/v2/check') return { status: 404, body: { errors: [{ detail: 'no such endpoint', status: 404 }] } };
    if (req.headers['key'] !== keys.abuseipdb) return { status: 401, body: fixture('abuseipdb', 'unauthorized.json') };
    const mode = refusing('abuseipdb');
    if (mode !== undefined) {
      return { status: 429, body: fixture('abuseipdb', 'rate-limited.json'), headers: { ...ABUSE_HEADERS, 'X-RateLimit-Remaining': '0', 'Retry-After': mode.retryAfter ?? '29241' } };
    }
    const ip = query.get('ipAddress') ?? '';
    if (!/^[0-9.]+$|^[0-9a-f:]+$/i.test(ip) || !(ip.includes('.') || ip.includes(':'))) return { status: 422, body: fixture('abuseipdb', 'invalid-ip.json') };
    const verbose = query.has('verbose');
    if (ip === FIXTURE_IPS.malicious) return { status: 200, body: fixture('abuseipdb', verbose ? 'check-malicious-verbose.json' : 'check-malicious.json'), headers: ABUSE_HEADERS };
    if (ip === FIXTURE_IPS.riot) return { status: 200, body: fixture('abuseipdb', 'check-whitelisted.json'), headers: ABUSE_HEADERS };
    // Never reported: 200 with a zero score (AbuseIPDB has no 404); private ranges are isPublic:false.
    const clean = fixture('abuseipdb', 'check-clean.json');
    const data = { ...(clean['data'] as Record<string, unknown>), ipAddress: ip, ...(/^(10|127)\./.test(ip) && { isPublic: false, countryCode: null, isp: null, usageType: 'Reserved' }) };
    return { status: 200, body: { data }, headers: ABUSE_HEADERS };
  }

  function greynoise(req: IncomingMessage, path: string): Reply {
    const key = req.headers['key'];
    const match = /^\/v3\/(community|ip)\/([^/]+)$/.exec(path);
    if (match === null) return { status: 404, body: { message: 'no such endpoint' } };
    const [, plan, encoded] = match;
    if (key !== undefined && key !== keys.greynoise) return { status: 401, body: { message: 'Unauthorized. Please check your API key.' } };
    if (plan === 'ip' && key === undefined) return { status: 401, body: { message: 'Unauthorized. Please check your API key.' } };
    const mode = refusing('greynoise');
    if (mode !== undefined) return { status: 429, body: fixture('greynoise', 'community-rate-limited.json'), ...(mode.retryAfter !== undefined && { headers: { 'Retry-After': mode.retryAfter } }) };
    const ip = decodeURIComponent(encoded!);
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip) || ip.startsWith('10.') || ip.startsWith('127.')) return { status: 400, body: fixture('greynoise', 'community-invalid-ip.json') };
    if (plan === 'ip') {
      if (ip === FIXTURE_IPS.malicious) return { status: 200, body: fixture('greynoise', 'v3-ip-malicious.json') };
      return { status: 200, body: { ip, internet_scanner_intelligence: { found: false }, business_service_intelligence: { found: false }, request_metadata: { ips_not_found: [ip] } } };
    }
    if (ip === FIXTURE_IPS.malicious) return { status: 200, body: fixture('greynoise', 'community-malicious.json') };
    if (ip === FIXTURE_IPS.riot) return { status: 200, body: fixture('greynoise', 'community-benign-riot.json') };
    return { status: 404, body: { ...fixture('greynoise', 'community-not-found.json'), ip } };
  }

  function route(req: IncomingMessage): { provider: EmulatedProvider; reply: () => Reply } | undefined {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname.startsWith('/api/v3/')) return { provider: 'virustotal', reply: () => virustotal(req, url.pathname) };
    if (url.pathname.startsWith('/api/v2/')) return { provider: 'abuseipdb', reply: () => abuseipdb(req, url.pathname, url.searchParams) };
    if (url.pathname.startsWith('/v3/')) return { provider: 'greynoise', reply: () => greynoise(req, url.pathname) };
    return undefined;
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const routed = route(req);
    if (routed === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    requests[routed.provider]++;
    lastRequest[routed.provider] = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    const failure = failing.get(routed.provider);
    if (failure !== undefined) {
      times[routed.provider].push({ at: clock(), status: failure.status });
      res.writeHead(failure.status, { 'content-type': 'application/json' }).end(failure.body);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://emulator');
    const reply: Reply = overrides.get(`${routed.provider}|${subjectOf(url)}`) ?? routed.reply();
    times[routed.provider].push({ at: clock(), status: reply.status });
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrls: { virustotal: `${url}/api/v3`, abuseipdb: `${url}/api/v2`, greynoise: url },
    keys,
    requests,
    lastRequest,
    times,
    rateLimit: (provider, mode) => {
      if (mode === undefined) limited.delete(provider);
      else limited.set(provider, { ...(mode.retryAfter !== undefined && { retryAfter: mode.retryAfter }), count: mode.count ?? Number.POSITIVE_INFINITY });
    },
    answer: (provider, value, reply) => {
      if (reply === undefined) overrides.delete(`${provider}|${value}`);
      else overrides.set(`${provider}|${value}`, reply);
    },
    fail: (provider, failure) => {
      if (failure === undefined) failing.delete(provider);
      else failing.set(provider, failure);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
