// Per-provider request budget: a sliding per-minute window (memory) and a daily count and pause (state DB).
import { setTimeout as sleep } from 'node:timers/promises';
import type { StateStore } from '../state.js';
import { nextUtcMidnight, utcDay } from '../time.js';
import type { ProviderName } from './provider.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** A clock that can also wait: the scheduler sleeps on it, so a test clock makes hours of quota pass instantly. */
export interface WaitingClock extends Clock {
  /** Resolves after `ms` of this clock's time, or as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: WaitingClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal === undefined ? {} : { signal }).catch(() => undefined),
};

export interface QuotaLimits {
  /** Requests in any 60 s window; undefined = no minute limit. */
  readonly perMinute?: number;
  /** Requests per UTC day; undefined = no daily limit. */
  readonly perDay?: number;
}

/**
 * Free-tier defaults (shared/reference/enrichment-apis.md): VirusTotal public API 4/min and 500/day;
 * AbuseIPDB Standard `check` 1000/day; GreyNoise community: 100/day unauthenticated is the only documented
 * number and an account's allowance is unknown (~50/week reported), so the default stays low.
 */
export const FREE_TIER_LIMITS: Readonly<Record<ProviderName, QuotaLimits>> = {
  virustotal: { perMinute: 4, perDay: 500 },
  abuseipdb: { perDay: 1000 },
  greynoise: { perDay: 50 },
};

const MINUTE_MS = 60_000;


export interface QuotaLimiterOptions {
  readonly clock?: Clock;
  /** Overrides per provider (a premium key raises them). */
  readonly limits?: Partial<Record<ProviderName, QuotaLimits>>;
}

export class QuotaLimiter {
  readonly #state: StateStore;
  readonly #clock: Clock;
  readonly #limits: Readonly<Record<ProviderName, QuotaLimits>>;

  constructor(state: StateStore, options: QuotaLimiterOptions = {}) {
    this.#state = state;
    this.#clock = options.clock ?? systemClock;
    this.#limits = {
      virustotal: options.limits?.virustotal ?? FREE_TIER_LIMITS.virustotal,
      abuseipdb: options.limits?.abuseipdb ?? FREE_TIER_LIMITS.abuseipdb,
      greynoise: options.limits?.greynoise ?? FREE_TIER_LIMITS.greynoise,
    };
  }

  limits(provider: ProviderName): QuotaLimits {
    return this.#limits[provider];
  }

  /** Takes one request slot: true, or the milliseconds until the next slot (nothing is taken then). */
  tryAcquire(provider: ProviderName): true | number {
    const now = this.#clock.now();
    const stored = this.#daily(provider, now);
    if (stored.pausedUntil > now) return stored.pausedUntil - now;
    const { perMinute, perDay } = this.#limits[provider];
    if (perDay !== undefined && stored.used >= perDay) return nextUtcMidnight(now) - now;
    // Persisted, so that back-to-back runs (or a restart) share the minute window.
    const recent = stored.recent.filter((t) => t > now - MINUTE_MS);
    if (perMinute !== undefined && recent.length >= perMinute) return recent[0]! + MINUTE_MS - now;
    recent.push(now);
    this.#state.putEnrichmentQuota(provider, { day: utcDay(now), used: stored.used + 1, pausedUntil: stored.pausedUntil, recent: recent.slice(-Math.max(1, perMinute ?? 1)) });
    return true;
  }

  /** Stops handing out slots for `provider` for `ms` (a 429's Retry-After); other providers are unaffected. */
  pause(provider: ProviderName, ms: number): void {
    const now = this.#clock.now();
    const stored = this.#daily(provider, now);
    const until = Math.max(stored.pausedUntil, now + Math.max(0, ms));
    this.#state.putEnrichmentQuota(provider, { day: stored.day, used: stored.used, pausedUntil: until, recent: stored.recent });
  }

  /**
   * What a provider says is left (AbuseIPDB's X-RateLimit-Remaining / -Reset): at zero, pause until its
   * reset so that the next request is not a wasted 429.
   */
  observeRemaining(provider: ProviderName, remaining: number, resetAt: number): void {
    if (remaining > 0) return;
    const now = this.#clock.now();
    this.pause(provider, (resetAt > now ? resetAt : nextUtcMidnight(now)) - now);
  }

  /** Requests left in today's budget (undefined: no daily limit), for the quota gauge. */
  remainingToday(provider: ProviderName): number | undefined {
    const { perDay } = this.#limits[provider];
    return perDay === undefined ? undefined : Math.max(0, perDay - this.usage(provider).usedToday);
  }

  /** Requests counted today (UTC) and the pause, for reports and tests. */
  usage(provider: ProviderName): { readonly usedToday: number; readonly pausedUntil: number } {
    const stored = this.#daily(provider, this.#clock.now());
    return { usedToday: stored.used, pausedUntil: stored.pausedUntil };
  }

  /** The persisted row, with the daily count reset when the UTC day changed (the pause survives). */
  #daily(provider: ProviderName, now: number): { day: string; used: number; pausedUntil: number; recent: readonly number[] } {
    const today = utcDay(now);
    const row = this.#state.enrichmentQuota(provider);
    if (row === undefined) return { day: today, used: 0, pausedUntil: 0, recent: [] };
    return { day: today, used: row.day === today ? row.used : 0, pausedUntil: row.pausedUntil, recent: row.recent };
  }
}
