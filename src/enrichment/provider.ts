// The enrichment provider contract: one lookup per indicator, a normalized answer or a typed error.
import { Tpot2MispError, type ErrorDetails } from '../errors.js';
import { nextUtcMidnight } from '../time.js';

export type ProviderName = 'virustotal' | 'abuseipdb' | 'greynoise';
export const PROVIDERS: readonly ProviderName[] = ['virustotal', 'abuseipdb', 'greynoise'];

export type IndicatorKind = 'ip' | 'sha256' | 'md5' | 'url';

/** The setting holding each provider's key, for messages that tell the operator what to fix. */
export const KEY_VARIABLE: Readonly<Record<ProviderName, string>> = {
  virustotal: 'VIRUSTOTAL_API_KEY',
  abuseipdb: 'ABUSEIPDB_API_KEY',
  greynoise: 'GREYNOISE_API_KEY',
};

export interface VirusTotalSummary {
  readonly provider: 'virustotal';
  readonly malicious: number;
  readonly suspicious: number;
  readonly harmless: number;
  readonly undetected: number;
  /** Community score; negative = bad. Null when VirusTotal gave none. */
  readonly reputation: number | null;
  /** Unix seconds of the last analysis, null when never analysed. */
  readonly lastAnalysisDate: number | null;
  /** The VirusTotal GUI page of the indicator. */
  readonly permalink: string;
}

export interface AbuseIpdbSummary {
  readonly provider: 'abuseipdb';
  /** 0–100. */
  readonly abuseConfidenceScore: number;
  readonly totalReports: number;
  readonly countryCode: string | null;
  readonly isp: string | null;
  readonly usageType: string | null;
  /** Null when AbuseIPDB made no whitelist lookup. */
  readonly isWhitelisted: boolean | null;
  /** ISO-8601, null when never reported. */
  readonly lastReportedAt: string | null;
}

export type GreyNoiseClassification = 'benign' | 'malicious' | 'unknown';

export interface GreyNoiseSummary {
  readonly provider: 'greynoise';
  readonly classification: GreyNoiseClassification;
  /** Seen mass-scanning the internet. */
  readonly noise: boolean;
  /** A known business service (RIOT). */
  readonly riot: boolean;
  readonly name: string | null;
  readonly link: string | null;
  /** `YYYY-MM-DD`, null when not given. */
  readonly lastSeen: string | null;
}

export type EnrichmentSummary = VirusTotalSummary | AbuseIpdbSummary | GreyNoiseSummary;

export type EnrichmentAnswer<S extends EnrichmentSummary = EnrichmentSummary> =
  | { readonly status: 'found'; readonly data: S }
  | { readonly status: 'not_found' };

export interface EnrichmentProvider<S extends EnrichmentSummary = EnrichmentSummary> {
  readonly name: ProviderName;
  /** The indicator kinds this provider can look up; others are rejected with T2M_ENRICH_BAD_INDICATOR. */
  readonly kinds: readonly IndicatorKind[];
  /** Resolves to an answer (cacheable) or rejects with an EnrichmentError (never cacheable). */
  lookup(kind: IndicatorKind, value: string): Promise<EnrichmentAnswer<S>>;
  close(): Promise<void>;
}

/** Thresholds above which an answer is re-checked sooner (see cache.ts). */
export const HIGH_RISK_ABUSE_SCORE = 75;

export function isHighRisk(summary: EnrichmentSummary): boolean {
  switch (summary.provider) {
    case 'virustotal':
      return summary.malicious > 0;
    case 'abuseipdb':
      return summary.abuseConfidenceScore >= HIGH_RISK_ABUSE_SCORE;
    case 'greynoise':
      return summary.classification === 'malicious';
  }
}

export type EnrichmentErrorCode =
  /** 401/403: the key is wrong, revoked or lacks the plan; the provider should be disabled for the run. */
  | 'T2M_ENRICH_AUTH'
  /** 429: stop calling the provider for `retryAfterSeconds`. */
  | 'T2M_ENRICH_RATE_LIMITED'
  /** 5xx, timeouts, network errors: try again later. */
  | 'T2M_ENRICH_UNAVAILABLE'
  /** The provider answered something we cannot read (not JSON, unexpected shape, unexpected status). */
  | 'T2M_ENRICH_BAD_RESPONSE'
  /** The provider (or this client) rejects the indicator itself (400/422, unsupported kind). */
  | 'T2M_ENRICH_BAD_INDICATOR';

/** Every failure of a provider, with the provider's name. */
export class EnrichmentError extends Tpot2MispError {
  readonly provider: ProviderName;
  declare readonly code: EnrichmentErrorCode;

  constructor(code: EnrichmentErrorCode, provider: ProviderName, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
    this.name = 'EnrichmentError';
    this.provider = provider;
  }
}

/** 401/403. The message names the key variable and never contains the key. */
export class EnrichmentAuthError extends EnrichmentError {
  readonly keyVariable: string;

  constructor(provider: ProviderName, status: number, detail: string | undefined) {
    const keyVariable = KEY_VARIABLE[provider];
    super(
      'T2M_ENRICH_AUTH',
      provider,
      `${provider} rejected the API key (HTTP ${status}${detail === undefined ? '' : `: ${detail}`}); ${provider} is disabled until ${keyVariable} is fixed`,
      {
        status,
        hint: status === 403
          ? `the key in ${keyVariable} is not allowed this endpoint (premium-only or banned); use another key or set ${provider.toUpperCase()}_ENABLED=false`
          : `check ${keyVariable} (missing, mistyped or revoked), or set ${provider.toUpperCase()}_ENABLED=false`,
      },
    );
    this.name = 'EnrichmentAuthError';
    this.keyVariable = keyVariable;
  }
}

/** 429. `retryAfterSeconds` comes from Retry-After or the provider's documented reset. */
export class EnrichmentRateLimitError extends EnrichmentError {
  readonly retryAfterSeconds: number;

  constructor(provider: ProviderName, retryAfterSeconds: number, detail: string | undefined) {
    super('T2M_ENRICH_RATE_LIMITED', provider, `${provider} quota exhausted${detail === undefined ? '' : ` (${detail})`}; pausing it for ${retryAfterSeconds} s`, {
      status: 429,
      hint: 'lower the request budget for this provider or use a key with a larger quota',
    });
    this.name = 'EnrichmentRateLimitError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Seconds until the next 00:00 UTC after `now` (ms), at least 1. */
export function secondsUntilUtcMidnight(now: number): number {
  return Math.max(1, Math.ceil((nextUtcMidnight(now) - now) / 1000));
}
