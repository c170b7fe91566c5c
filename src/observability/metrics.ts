// Prometheus metrics on their own Registry (injected, never global) and the HTTP endpoint that serves them
// with /healthz. The first five names are the original tool's, kept because users chart them. Labels come
// from bounded sets only: never an IP, an indicator, a URL or an error message.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Tpot2MispError } from '../errors.js';

export type Mode = 'batch' | 'realtime' | 'files';

const HPFEEDS_CONNECTION_STATUS = 'tpot2misp_hpfeeds_connection_status';

/** The `honeypot` label value: lowercase ("cowrie"), as the original tool wrote it and existing dashboards filter. */
export function honeypotLabel(type: string): string {
  return type.toLowerCase();
}

/** `host:port` as one address: `127.0.0.1:9431`, `[::1]:9431`. */
export function listenAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Why the endpoint cannot listen on PROMETHEUS_HOST:PROMETHEUS_PORT, and the fix, naming the setting to change
 * (shared with `check`); undefined for an error no setting explains.
 */
export function listenProblem(error: NodeJS.ErrnoException, host: string, port: number): { why: string; fix: string } | undefined {
  switch (error.code) {
    case 'EADDRINUSE':
      return { why: `port ${port} is in use by another program (or another tpot2misp)`, fix: 'set PROMETHEUS_PORT to a free port, or stop what is using it' };
    case 'EADDRNOTAVAIL':
      return { why: `${host} is not an address of this host`, fix: 'set PROMETHEUS_HOST to one of this host\'s addresses: 127.0.0.1 (this host only) or 0.0.0.0 (every interface; needed in a container)' };
    case 'EAFNOSUPPORT':
      return { why: `this host has no IPv6 for ${host}`, fix: 'set PROMETHEUS_HOST to an IPv4 address, such as 127.0.0.1 or 0.0.0.0' };
    case 'EACCES':
      return { why: `port ${port} needs privileges this user does not have (ports below 1024)`, fix: 'set PROMETHEUS_PORT to 1024 or above' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return { why: `the host name ${host} does not resolve`, fix: 'set PROMETHEUS_HOST to an IP address of this host, such as 127.0.0.1 or 0.0.0.0' };
    default:
      return undefined;
  }
}

export class Metrics {
  readonly registry = new Registry();
  readonly eventsProcessed: Counter<'mode' | 'honeypot'>;
  readonly indicatorsEnriched: Counter<'provider'>;
  readonly enrichmentCacheHits: Counter<'provider'>;
  readonly processingDuration: Histogram<'mode'>;
  readonly #hpfeedsConnectionStatus: Gauge;
  readonly documentsReceived: Counter<'source'>;
  readonly documentsSkipped: Counter<'honeypot' | 'reason'>;
  readonly mispRequests: Counter<'endpoint' | 'status'>;
  readonly outboxItems: Gauge;
  readonly checkpointLag: Gauge<'source'>;
  readonly eventsPublished: Counter<'honeypot'>;
  readonly enrichmentRequests: Counter<'provider' | 'status'>;
  readonly enrichmentErrors: Counter<'provider' | 'status'>;
  readonly enrichmentQuotaRemaining: Gauge<'provider'>;
  readonly enrichmentQueue: Gauge<'provider'>;
  #health: { ok: boolean; reason?: string } = { ok: true };

  constructor() {
    const registers = [this.registry];
    this.eventsProcessed = new Counter({ name: 'tpot2misp_events_processed_total', help: 'Attack events turned into indicators, by collection mode and honeypot type.', labelNames: ['mode', 'honeypot'], registers });
    this.indicatorsEnriched = new Counter({ name: 'tpot2misp_indicators_enriched_total', help: 'Indicators enriched, by provider.', labelNames: ['provider'], registers });
    this.enrichmentCacheHits = new Counter({ name: 'tpot2misp_enrichment_cache_hits_total', help: 'Enrichment answers served from the cache, by provider.', labelNames: ['provider'], registers });
    this.processingDuration = new Histogram({ name: 'tpot2misp_indicator_processing_duration_seconds', help: 'Duration of one pass (run or realtime flush): read, extract, aggregate, deliver.', labelNames: ['mode'], buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800], registers });
    // Registered on first use (see the getter).
    this.#hpfeedsConnectionStatus = new Gauge({ name: HPFEEDS_CONNECTION_STATUS, help: 'HPFEEDS connection: 1 connected and subscribed, 0 otherwise.', registers: [] });
    this.documentsReceived = new Counter({ name: 'tpot2misp_source_documents_received_total', help: 'Documents or messages read from the source.', labelNames: ['source'], registers });
    this.documentsSkipped = new Counter({ name: 'tpot2misp_documents_skipped_total', help: 'Documents that produced no attack, by honeypot type and reason.', labelNames: ['honeypot', 'reason'], registers });
    this.mispRequests = new Counter({ name: 'tpot2misp_misp_requests_total', help: 'Requests to the MISP REST API, by endpoint and HTTP status (0: no answer).', labelNames: ['endpoint', 'status'], registers });
    this.outboxItems = new Gauge({ name: 'tpot2misp_outbox_items', help: 'Realtime messages received and not yet delivered (the outbox backlog).', registers });
    this.checkpointLag = new Gauge({ name: 'tpot2misp_checkpoint_lag_seconds', help: 'Age of the newest data the source checkpoint covers, in seconds, at the last commit.', labelNames: ['source'], registers });
    this.enrichmentRequests = new Counter({ name: 'tpot2misp_enrichment_requests_total', help: 'Requests to enrichment providers, by provider and HTTP status (network: no answer).', labelNames: ['provider', 'status'], registers });
    this.enrichmentErrors = new Counter({ name: 'tpot2misp_enrichment_errors_total', help: 'Enrichment requests that brought no answer (401/403, 429, 5xx, network, unreadable), by provider and HTTP status.', labelNames: ['provider', 'status'], registers });
    this.enrichmentQuotaRemaining = new Gauge({ name: 'tpot2misp_enrichment_quota_remaining', help: 'Requests left in the provider\'s daily budget (UTC day).', labelNames: ['provider'], registers });
    this.enrichmentQueue = new Gauge({ name: 'tpot2misp_enrichment_queue_items', help: 'Indicators waiting for a provider\'s answer (the quota did not cover them yet).', labelNames: ['provider'], registers });
    this.eventsPublished = new Counter({ name: 'tpot2misp_events_published_total', help: 'Daily MISP events published by the AUTO_PUBLISH policy, by honeypot type.', labelNames: ['honeypot'], registers });
  }

  /**
   * Only realtime mode has an HPFEEDS connection: the gauge is exported from its first use on, so that batch and
   * files installs do not export a permanent 0 ("disconnected") that an alert would fire on.
   */
  get hpfeedsConnectionStatus(): Gauge {
    if (this.registry.getSingleMetric(HPFEEDS_CONNECTION_STATUS) === undefined) this.registry.registerMetric(this.#hpfeedsConnectionStatus);
    return this.#hpfeedsConnectionStatus;
  }

  /** What /healthz answers: ready, or degraded with the reason (e.g. MISP unreachable). */
  setHealth(ok: boolean, reason?: string): void {
    this.#health = ok ? { ok } : { ok, ...(reason !== undefined && { reason }) };
  }

  get health(): { ok: boolean; reason?: string } {
    return this.#health;
  }

  /**
   * Serves GET /metrics and GET /healthz on `host` (PROMETHEUS_HOST: loopback unless the operator opens it up) and
   * `port`. An address that cannot be had is a settings error naming PROMETHEUS_HOST/PROMETHEUS_PORT, not a stack trace.
   */
  async serve(port: number, host = '127.0.0.1'): Promise<{ host: string; port: number; close: () => Promise<void> }> {
    // Process metrics sample the event loop on a timer: only worth it when someone scrapes them.
    collectDefaultMetrics({ register: this.registry, prefix: 'tpot2misp_process_' });
    const server: Server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method === 'GET' && path === '/metrics') {
        this.registry.metrics().then(
          (text) => {
            response.writeHead(200, { 'content-type': this.registry.contentType });
            response.end(text);
          },
          () => {
            response.writeHead(500).end();
          },
        );
        return;
      }
      if (request.method === 'GET' && path === '/healthz') {
        const health = this.#health;
        response.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' });
        response.end(JSON.stringify(health.ok ? { status: 'ready' } : { status: 'degraded', reason: health.reason ?? 'unknown' }));
        return;
      }
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    } catch (error) {
      const problem = listenProblem(error as NodeJS.ErrnoException, host, port);
      if (problem === undefined) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new Tpot2MispError('T2M_CONFIG_INVALID', `cannot serve /metrics and /healthz on ${listenAddress(host, port)} (PROMETHEUS_HOST=${host}, PROMETHEUS_PORT=${port}): ${problem.why} (${code})`, {
        cause: error,
        hint: `${problem.fix}; or PROMETHEUS_ENABLED=false`,
      });
    }
    return {
      host,
      port: (server.address() as AddressInfo).port,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
}
