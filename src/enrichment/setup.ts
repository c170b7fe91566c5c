// Builds the enricher a run uses from the settings: one client per enabled provider, the persistent cache
// and the quota limiter on the state store.
import type { Logger } from 'pino';
import type { Config, EnrichmentProviderConfig } from '../config.js';
import type { Metrics } from '../observability/metrics.js';
import type { StateStore } from '../state.js';
import { AbuseIpdbClient, type AbuseIpdbOptions } from './abuseipdb.js';
import { EnrichmentCache } from './cache.js';
import { Enricher } from './enricher.js';
import { GreyNoiseClient } from './greynoise.js';
import type { EnrichmentProvider } from './provider.js';
import { QuotaLimiter, systemClock, type QuotaLimits, type WaitingClock } from './quota.js';
import { VirusTotalClient } from './virustotal.js';

function limits(provider: EnrichmentProviderConfig): QuotaLimits {
  return { ...(provider.perMinute > 0 && { perMinute: provider.perMinute }), ...(provider.perDay > 0 && { perDay: provider.perDay }) };
}

/** A client per enabled provider (a provider switched on without its key is a configuration error already). */
export function providerClients(settings: Config['enrichment'], options: { readonly now?: () => number; readonly onAbuseIpdbQuota?: AbuseIpdbOptions['onQuota'] } = {}): EnrichmentProvider[] {
  const { virustotal, abuseipdb, greynoise } = settings;
  const now = options.now === undefined ? {} : { now: options.now };
  const providers: EnrichmentProvider[] = [];
  if (virustotal.enabled && virustotal.apiKey !== undefined) providers.push(new VirusTotalClient({ apiKey: virustotal.apiKey, baseUrl: virustotal.url, ...now }));
  if (abuseipdb.enabled && abuseipdb.apiKey !== undefined) {
    providers.push(new AbuseIpdbClient({ apiKey: abuseipdb.apiKey, baseUrl: abuseipdb.url, ...now, ...(options.onAbuseIpdbQuota !== undefined && { onQuota: options.onAbuseIpdbQuota }) }));
  }
  if (greynoise.enabled) providers.push(new GreyNoiseClient({ ...(greynoise.apiKey !== undefined && { apiKey: greynoise.apiKey }), plan: greynoise.plan, baseUrl: greynoise.url, ...now }));
  return providers;
}

/** The enricher for a run, or undefined when enrichment is off or no provider is enabled. */
export function createEnricher(config: Config, state: StateStore, log: Logger, metrics?: Metrics, clock: WaitingClock = systemClock): Enricher | undefined {
  const settings = config.enrichment;
  if (!settings.enabled) return undefined;
  const { virustotal, abuseipdb, greynoise } = settings;
  const limiter = new QuotaLimiter(state, { clock, limits: { virustotal: limits(virustotal), abuseipdb: limits(abuseipdb), greynoise: limits(greynoise) } });
  const providers = providerClients(settings, {
    now: () => clock.now(),
    // AbuseIPDB says what is left: at zero, pause until its reset instead of spending a request on a 429.
    onAbuseIpdbQuota: (q) => {
      if (q.remaining !== undefined) limiter.observeRemaining('abuseipdb', q.remaining, q.resetAt ?? 0);
    },
  });
  if (providers.length === 0) return undefined;
  log.info({ providers: providers.map((p) => p.name) }, 'Enrichment is on.');
  return new Enricher({
    state,
    providers,
    cache: new EnrichmentCache(state, { ttlSeconds: settings.cacheDurationSeconds, clock }),
    quota: limiter,
    clock,
    log,
    ...(metrics !== undefined && { metrics }),
    dropBenign: settings.dropBenign,
  });
}
