// Errors with a stable code (branch on `code`), a cause and a hint: the likely fix, in one line.

export type ErrorCode =
  | 'T2M_CONFIG_INVALID'
  | 'T2M_STATE_CORRUPT'
  | 'T2M_MISP_HTTP'
  | 'T2M_MISP_AUTH'
  | 'T2M_MISP_UNREACHABLE'
  | 'T2M_FEED_IO'
  | 'T2M_SOURCE_IO'
  | 'T2M_ES_AUTH'
  | 'T2M_ES_UNREACHABLE'
  | 'T2M_HPFEEDS_PROTOCOL'
  | 'T2M_ENRICH_AUTH'
  | 'T2M_ENRICH_RATE_LIMITED'
  | 'T2M_ENRICH_UNAVAILABLE'
  | 'T2M_ENRICH_BAD_RESPONSE'
  | 'T2M_ENRICH_BAD_INDICATOR';

export interface ErrorDetails {
  readonly cause?: unknown;
  /** The likely fix, for the operator. */
  readonly hint?: string;
  /** HTTP status, when a remote answered. */
  readonly status?: number;
}

export class Tpot2MispError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly status?: number;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'Tpot2MispError';
    this.code = code;
    if (details.hint !== undefined) this.hint = details.hint;
    if (details.status !== undefined) this.status = details.status;
  }
}

/** Invalid settings: every problem, one line each, naming the variable. */
export class ConfigError extends Tpot2MispError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('T2M_CONFIG_INVALID', `invalid configuration:\n${problems.join('\n')}`, {
      hint: 'fix the settings named above (environment, .env or flags); see docs/configuration.md',
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
