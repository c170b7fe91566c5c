// Every setting in one zod schema, read once at the edge: flags > environment > .env > defaults.
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import ipaddr from 'ipaddr.js';
import { v5 as uuidv5, validate as isUuid } from 'uuid';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { ALL_TYPES, resolveHoneypotType, type HoneypotType } from './honeypots/honeypot-type.js';
import { maskUrlPassword } from './observability/display-url.js';

/** One enrichment provider's settings; 0 in a limit means none. */
export interface EnrichmentProviderConfig {
  readonly enabled: boolean;
  readonly apiKey?: string;
  readonly url: string;
  readonly perMinute: number;
  readonly perDay: number;
}

export interface Config {
  readonly mode: 'batch' | 'realtime' | 'files';
  readonly output: 'misp' | 'feed';
  readonly tpotDataDir: string;
  readonly honeypots: readonly HoneypotType[];
  readonly lookbackDays: number;
  readonly batchIntervalHours: number;
  readonly stateDb: string;
  readonly uuidNamespace: string;
  readonly sensorIps: readonly string[];
  readonly excludeIps: readonly string[];
  readonly allowPrivateIps: boolean;
  readonly misp: {
    readonly url?: string; readonly key?: string; readonly verifySsl: boolean; readonly caFile?: string; readonly batchSize: number; readonly concurrency: number;
    readonly timeoutSeconds: number; readonly retries: number;
    readonly distribution: 0 | 1 | 2 | 3; readonly threatLevel: 1 | 2 | 3 | 4; readonly analysis: 0 | 1 | 2; readonly tags: readonly string[];
    readonly orgName: string; readonly orgUuid: string; readonly autoPublish: boolean; readonly publishDelaySeconds: number; readonly feedDir: string;
  };
  readonly elasticsearch: {
    readonly url?: string; readonly user?: string; readonly password?: string; readonly caFile?: string; readonly verifySsl: boolean;
    readonly pageSize: number; readonly overlapMinutes: number;
  };
  /** Unique indicators held before an intermediate delivery and checkpoint. */
  readonly maxPendingIndicators: number;
  /** STATE_RETENTION_DAYS (0: never forget). */
  readonly stateRetentionDays: number;
  readonly hpfeeds: {
    readonly host?: string; readonly port: number; readonly ident?: string; readonly secret?: string; readonly channels: readonly string[];
    readonly tls: boolean; readonly caFile?: string; readonly flushSeconds: number;
  };
  readonly enrichment: {
    readonly enabled: boolean; readonly cacheDurationSeconds: number; readonly maxSeconds: number; readonly dropBenign: boolean;
    readonly virustotal: EnrichmentProviderConfig;
    readonly abuseipdb: EnrichmentProviderConfig;
    readonly greynoise: EnrichmentProviderConfig & { readonly plan: 'community' | 'enterprise' };
  };
  readonly log: { readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'; readonly fileEnabled: boolean; readonly filePath: string; readonly fileMaxSize: string; readonly fileMaxFiles: number; readonly format: 'json' | 'text' };
  readonly report: { readonly enabled: boolean; readonly dir: string; readonly formats: readonly ('txt' | 'json' | 'html')[] };
  readonly prometheus: { readonly enabled: boolean; readonly host: string; readonly port: number };
  /** Every secret value, for redaction by the logger. */
  readonly secrets: readonly string[];
}

export interface Setting {
  readonly name: string;
  readonly description: string;
  readonly default?: string;
  readonly secret?: boolean;
  /** The settings group, for the reference documentation. */
  readonly group: string;
}

const DEFAULT_NAMESPACE = '70423ab8-5c81-4fa9-ae8c-7415a7c21621';
const DEFAULT_HONEYPOTS = ALL_TYPES.filter((t) => t !== 'NGINX');

const bool = z.stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'], case: 'insensitive' });
const int = (min: number, max: number) =>
  z.string().trim().regex(/^-?\d+$/, `must be a whole number from ${min} to ${max}`).transform(Number).pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const httpUrl = z.string().trim().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}, 'not a valid http(s) URL (example: https://misp.example.org)');
const SHARING_GROUP_UNSUPPORTED = '4 (sharing group) is not supported yet: tpot2misp cannot give events a sharing group id; use 0 (your organisation), 1 (this community), 2 (connected communities) or 3 (all), and restrict sharing in MISP afterwards';
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0));
const readableFile = z.string().trim().refine((path) => {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}, 'file does not exist or is not readable');
const expandHome = (path: string) => (path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path);
const isIp = (v: string) => ipaddr.isValid(v) && (v.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(v));
/** A DNS name (RFC 1123 labels): what a listen address may be besides an IP. */
const isHostName = (v: string) => v.length <= 253 && /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(v);
const LOG_LEVELS: Readonly<Record<string, Config['log']['level']>> = {
  trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', fatal: 'fatal', critical: 'fatal', silent: 'silent',
};

interface Definition {
  readonly description: string;
  readonly default?: string;
  readonly secret?: boolean;
  readonly group: string;
  readonly schema: z.ZodType;
}

const D = (group: string, description: string, schema: z.ZodType, defaultValue?: string, secret = false): Definition => ({
  group, description, schema, ...(defaultValue !== undefined && { default: defaultValue }), secret,
});

/** Passwords written into URLs (https://user:password@host/) are secrets too. */
function urlPasswords(...urls: unknown[]): string[] {
  return urls.flatMap((url) => {
    if (typeof url !== 'string') return [];
    try {
      const password = new URL(url).password;
      return password === '' ? [] : [password, decodeURIComponent(password)];
    } catch {
      return [];
    }
  });
}

/** The catalogue: every environment variable tpot2misp reads. Order = documentation order. */
const DEFINITIONS = {
  COLLECTION_MODE: D('General', 'Where attacks come from: `batch` (T-Pot Elasticsearch), `realtime` (HPFEEDS) or `files` (T-Pot log files).', z.enum(['batch', 'realtime', 'files']), 'batch'),
  OUTPUT: D('General', 'Where they go: `misp` (MISP REST API) or `feed` (a MISP feed directory).', z.enum(['misp', 'feed']), 'misp'),
  TPOT_HONEYPOTS: D('General', 'Comma-separated T-Pot honeypot types to process (any case). Default: every type except NGINX (T-Pot\'s own web UI log, never attacker data).', list.pipe(z.array(z.string()))),
  TPOT_DATA_DIR: D('General', 'T-Pot data directory for `files` mode.', z.string().trim().min(1), '~/tpotce/data'),
  STATE_DB: D('General', 'SQLite state file (checkpoints, what MISP already holds); its -wal/-shm files live beside it.', z.string().trim().min(1), 'state/tpot2misp.db'),
  LOOKBACK_DAYS: D('General', 'Batch mode: how many days back the first run reads.', int(0, 3650), '1'),
  BATCH_INTERVAL_HOURS: D('General', 'Run again every N hours (0 = run once and exit; `--once` always runs once). A run that fails (MISP or Elasticsearch down) is logged, /healthz turns degraded, and the next run delivers what is left; only bad settings or a damaged state database end the process.', int(0, 8760), '0'),
  UUID_NAMESPACE: D('General', 'Namespace of the deterministic (UUIDv5) event, attribute and object UUIDs. Standalone T-Pots feeding one MISP each need their own (or they share daily events).', z.string().trim().refine((v) => isUuid(v), 'not a valid UUID'), DEFAULT_NAMESPACE),
  SENSOR_IPS: D('General', 'Comma-separated addresses of the sensor itself: never reported as attackers.', list.pipe(z.array(z.string().refine(isIp, 'not an IP address')))),
  EXCLUDE_IPS: D('General', 'Comma-separated addresses or CIDR ranges (IPv4/IPv6) never reported as attackers.', list.pipe(z.array(z.string().refine((v) => (v.includes('/') ? ipaddr.isValidCIDR(v) : isIp(v)), 'not an IP address or CIDR range')))),
  ALLOW_PRIVATE_IPS: D('General', 'Keep private, CGNAT and loopback sources (deception inside a company network).', bool, 'false'),
  STATE_RETENTION_DAYS: D('General', 'Days the state file remembers what each daily event holds in MISP, counted back from the newest day delivered (today at the latest); older events\' items are forgotten so that the file stops growing (0 = never). A late attack for a forgotten day is still delivered: MISP then holds the counts of what was read since.', int(0, 36500), '30'),
  MAX_PENDING_INDICATORS: D('General', 'Unique indicators held in memory before an intermediate delivery and checkpoint (bounds memory and the work a crash repeats on long reads).', int(1000, 100_000_000), '50000'),
  MISP_URL: D('MISP', 'Base URL of the MISP instance.', httpUrl),
  MISP_KEY: D('MISP', 'MISP API key (40 characters) of a user allowed to add events.', z.string().trim().regex(/^[A-Za-z0-9]{40}$/, 'must be a 40-character alphanumeric MISP API key'), undefined, true),
  MISP_VERIFY_SSL: D('MISP', 'Verify MISP\'s TLS certificate. `false` is for tests only and is logged loudly.', bool, 'true'),
  MISP_CA_FILE: D('MISP', 'PEM file of the CA that signed MISP\'s certificate (private CA).', readableFile),
  MISP_BATCH_SIZE: D('MISP', 'Attributes or objects per MISP request.', int(1, 10000), '500'),
  MISP_CONCURRENCY: D('MISP', 'Requests to MISP at once: an event\'s batches of new attributes go out together (its edits stay in order). MISP is the slow side: on a MISP with spare PHP workers, more is faster (2 or 4 for a backfill); each request in flight holds one of them.', int(1, 16), '1'),
  MISP_TIMEOUT: D('MISP', 'Seconds to wait for MISP\'s answer to one request (a large batch on a busy MISP can take minutes).', int(5, 3600), '120'),
  MISP_RETRIES: D('MISP', 'Retries of a request MISP answered 429, 500, 502, 503 or 504, or did not answer (waits 0.5 s doubling to 30 s); then the run stops and the next one resends.', int(0, 20), '5'),
  MISP_DISTRIBUTION: D('MISP', 'Event distribution: 0 your organisation, 1 this community, 2 connected communities, 3 all. (4, a sharing group, is not supported yet: it needs a sharing group id tpot2misp cannot set.)', int(0, 4).refine((n) => n !== 4, SHARING_GROUP_UNSUPPORTED), '0'),
  MISP_THREAT_LEVEL: D('MISP', 'Event threat level: 1 high, 2 medium, 3 low, 4 undefined.', int(1, 4), '3'),
  MISP_ANALYSIS: D('MISP', 'Event analysis: 0 initial, 1 ongoing, 2 completed.', int(0, 2), '2'),
  MISP_TAGS: D('MISP', 'Comma-separated extra tags on every event (a `tlp:` tag replaces the default tlp:clear).', list.pipe(z.array(z.string().max(255)))),
  MISP_ORG_NAME: D('MISP', 'Creator organisation named in the feed (`Orgc`).', z.string().trim().min(1).max(255), 'T-Pot'),
  MISP_ORG_UUID: D('MISP', 'UUID of that organisation. Default: UUIDv5 of UUID_NAMESPACE and `org|<MISP_ORG_NAME>`.', z.string().trim().refine((v) => isUuid(v), 'not a valid UUID')),
  MISP_FEED_DIR: D('MISP', 'Feed directory for `OUTPUT=feed`.', z.string().trim().min(1), 'out/misp-feed'),
  AUTO_PUBLISH: D('MISP', 'Publish a daily event once its day has ended and it has been quiet for PUBLISH_DELAY.', bool, 'false'),
  PUBLISH_DELAY: D('MISP', 'Seconds of quiet before auto-publishing.', int(0, 31_536_000), '3600'),
  ELASTICSEARCH_URL: D('Elasticsearch (batch)', 'T-Pot Elasticsearch, e.g. https://<tpot>:64297/es/ or http://127.0.0.1:64298.', httpUrl),
  ELASTICSEARCH_USER: D('Elasticsearch (batch)', 'Basic-auth user (T-Pot web user).', z.string().min(1)),
  ELASTICSEARCH_PASSWORD: D('Elasticsearch (batch)', 'Basic-auth password; needs ELASTICSEARCH_USER (or a user written in ELASTICSEARCH_URL). Legacy name: ELASTICSEARCH_PWD.', z.string().min(1), undefined, true),
  ELASTICSEARCH_CA_FILE: D('Elasticsearch (batch)', 'PEM file to trust T-Pot\'s self-signed certificate.', readableFile),
  ELASTICSEARCH_VERIFY_SSL: D('Elasticsearch (batch)', 'Verify the Elasticsearch TLS certificate.', bool, 'true'),
  ELASTICSEARCH_PAGE_SIZE: D('Elasticsearch (batch)', 'Documents per search page (point in time + search_after; at most 10000).', int(100, 10_000), '5000'),
  ELASTICSEARCH_OVERLAP_MINUTES: D('Elasticsearch (batch)', 'Each run re-reads this many minutes before its checkpoint, for documents indexed late; documents already read are recognised by id and never counted twice.', int(0, 1440), '10'),
  HPFEEDS_HOST: D('HPFEEDS (realtime)', 'Broker host.', z.string().trim().min(1)),
  HPFEEDS_PORT: D('HPFEEDS (realtime)', 'Broker port (the broker\'s default is 20000).', int(1, 65535), '20000'),
  HPFEEDS_IDENT: D('HPFEEDS (realtime)', 'HPFEEDS ident.', z.string().trim().min(1)),
  HPFEEDS_SECRET: D('HPFEEDS (realtime)', 'HPFEEDS secret.', z.string().min(1), undefined, true),
  HPFEEDS_CHANNELS: D('HPFEEDS (realtime)', 'Comma-separated channels to subscribe to.', list.pipe(z.array(z.string()).min(1, 'name at least one channel'))),
  HPFEEDS_TLS: D('HPFEEDS (realtime)', 'Connect to the broker over TLS.', bool, 'false'),
  HPFEEDS_CA_FILE: D('HPFEEDS (realtime)', 'PEM file of the broker\'s CA.', readableFile),
  REALTIME_FLUSH_SECONDS: D('HPFEEDS (realtime)', 'Seconds between flushes to MISP in realtime mode.', int(1, 3600), '10'),
  ENRICHMENT_ENABLED: D('Enrichment', 'Enrich indicators with VirusTotal, AbuseIPDB and GreyNoise.', bool, 'false'),
  CACHE_DURATION: D('Enrichment', 'Seconds an enrichment answer is cached. Legacy name: ENRICHMENT_CACHE_DURATION.', int(0, 31_536_000), '86400'),
  ENRICHMENT_MAX_SECONDS: D('Enrichment', 'Seconds a batch/files run may spend asking providers (waiting for quota included), after delivering. What is left waits for the next run, most active first. A request under way when the time is up may finish (at most 15 s).', int(0, 86_400), '60'),
  ENRICHMENT_DROP_BENIGN: D('Enrichment', 'Leave benign scanners (GreyNoise benign or RIOT, AbuseIPDB whitelisted) out of MISP; one learned benign after delivery is soft-deleted. Default: keep and tag them.', bool, 'false'),
  VIRUSTOTAL_API_KEY: D('Enrichment', 'VirusTotal API key.', z.string().min(1), undefined, true),
  VIRUSTOTAL_ENABLED: D('Enrichment', 'Use VirusTotal (default: when its key is set).', bool),
  VIRUSTOTAL_URL: D('Enrichment', 'VirusTotal API base URL (a proxy or a test double).', httpUrl, 'https://www.virustotal.com/api/v3'),
  VIRUSTOTAL_REQUESTS_PER_MINUTE: D('Enrichment', 'VirusTotal requests per minute (the public API allows 4; 0 = no limit).', int(0, 100_000), '4'),
  VIRUSTOTAL_REQUESTS_PER_DAY: D('Enrichment', 'VirusTotal requests per UTC day (public API: 500; 0 = no limit).', int(0, 10_000_000), '500'),
  ABUSEIPDB_API_KEY: D('Enrichment', 'AbuseIPDB API key.', z.string().min(1), undefined, true),
  ABUSEIPDB_ENABLED: D('Enrichment', 'Use AbuseIPDB (default: when its key is set).', bool),
  ABUSEIPDB_URL: D('Enrichment', 'AbuseIPDB API base URL.', httpUrl, 'https://api.abuseipdb.com/api/v2'),
  ABUSEIPDB_REQUESTS_PER_MINUTE: D('Enrichment', 'AbuseIPDB requests per minute (0 = no limit).', int(0, 100_000), '0'),
  ABUSEIPDB_REQUESTS_PER_DAY: D('Enrichment', 'AbuseIPDB `check` requests per UTC day (Standard plan: 1000; 0 = no limit).', int(0, 10_000_000), '1000'),
  GREYNOISE_API_KEY: D('Enrichment', 'GreyNoise API key (the community API also answers without one, with a smaller allowance).', z.string().min(1), undefined, true),
  GREYNOISE_ENABLED: D('Enrichment', 'Use GreyNoise (default: when its key is set).', bool),
  GREYNOISE_PLAN: D('Enrichment', '`community` (free Community API) or `enterprise` (the paid IP lookup; needs a key).', z.enum(['community', 'enterprise']), 'community'),
  GREYNOISE_URL: D('Enrichment', 'GreyNoise API base URL.', httpUrl, 'https://api.greynoise.io'),
  GREYNOISE_REQUESTS_PER_MINUTE: D('Enrichment', 'GreyNoise requests per minute (0 = no limit).', int(0, 100_000), '0'),
  GREYNOISE_REQUESTS_PER_DAY: D('Enrichment', 'GreyNoise requests per UTC day (a community account\'s allowance is small and not published; 0 = no limit).', int(0, 10_000_000), '50'),
  LOG_LEVEL: D('Logs, report, metrics', 'DEBUG, INFO, WARNING, ERROR, CRITICAL (the original tool\'s names) or trace/debug/info/warn/error/fatal/silent, any case.', z.string().trim().transform((v, ctx) => {
    const level = LOG_LEVELS[v.toLowerCase()];
    if (level === undefined) ctx.addIssue({ code: 'custom', message: 'must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, trace, fatal, silent' });
    return level ?? 'info';
  }), 'INFO'),
  LOG_FORMAT: D('Logs, report, metrics', 'Log lines as `json` or `text`.', z.enum(['json', 'text']), 'json'),
  LOG_FILE_ENABLED: D('Logs, report, metrics', 'Also write logs to LOG_FILE_PATH.', bool, 'false'),
  LOG_FILE_PATH: D('Logs, report, metrics', 'Log file path (its directory is created). Rotated files sit beside it as `<name>.1.gz`, `<name>.2.gz`… (newest first).', z.string().trim().min(1), 'logs/tpot2misp.log'),
  LOG_FILE_MAX_SIZE: D('Logs, report, metrics', 'Rotate the log file when it reaches this size: a number with `K`, `M` or `G`.', z.string().trim().toUpperCase().regex(/^[1-9]\d*[KMG]$/, 'a size such as 10M or 1G'), '10M'),
  LOG_FILE_MAX_FILES: D('Logs, report, metrics', 'Rotated log files kept (gzip-compressed); older ones are deleted.', int(1, 1000), '5'),
  VALIDATION_REPORT_ENABLED: D('Logs, report, metrics', 'Write a validation report after each run.', bool, 'true'),
  VALIDATION_REPORT_DIR: D('Logs, report, metrics', 'Folder for report.txt / report.json / report.html.', z.string().trim().min(1), 'out/'),
  VALIDATION_REPORT_FORMAT: D('Logs, report, metrics', 'Comma-separated report formats: txt, json, html.', list.pipe(z.array(z.enum(['txt', 'json', 'html'])).min(1, 'name at least one of txt, json, html')), 'txt,json,html'),
  PROMETHEUS_ENABLED: D('Logs, report, metrics', 'Serve Prometheus metrics.', bool, 'false'),
  PROMETHEUS_HOST: D('Logs, report, metrics', 'Address the /metrics and /healthz endpoints listen on. The default, `127.0.0.1`, serves this host only (a Prometheus on the same machine); `0.0.0.0` (every IPv4 interface) or `::` serves the network. In a container it must be `0.0.0.0`, or neither Docker\'s port mapping nor other containers reach it (the image and docker-compose.yml set it).', z.string().trim().refine((v) => isIp(v) || isHostName(v), 'must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name'), '127.0.0.1'),
  PROMETHEUS_PORT: D('Logs, report, metrics', 'Port of the /metrics and /healthz endpoints.', int(1, 65535), '9431'),
} satisfies Record<string, Definition>;

type SettingName = keyof typeof DEFINITIONS;

/** Names the original Python tool's docs used, accepted with a deprecation warning. */
const LEGACY: Readonly<Record<string, SettingName>> = { ELASTICSEARCH_PWD: 'ELASTICSEARCH_PASSWORD', ENRICHMENT_CACHE_DURATION: 'CACHE_DURATION' };

export const SETTINGS: readonly Setting[] = Object.entries(DEFINITIONS).map(([name, d]) => ({
  name, description: d.description, group: d.group, ...(d.default !== undefined && { default: d.default }), ...(d.secret && { secret: true }),
}));

export interface LoadConfigOptions {
  /** Overrides keyed by the variable they replace (the CLI maps --mode to COLLECTION_MODE, …). */
  readonly flags?: Readonly<Record<string, string | boolean | undefined>>;
  readonly env?: NodeJS.ProcessEnv;
  /** Path of the .env file (default `.env` in the working directory); a missing file is fine unless required. */
  readonly envFile?: string;
  /** The file was named explicitly (--env-file): missing, it is an error, not silently no settings. */
  readonly envFileRequired?: boolean;
}

export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
}

/** A value as it may appear in an error line: secrets and URL passwords masked, control characters escaped, bounded. */
function shown(name: string, value: string): string {
  if ((DEFINITIONS as Record<string, Definition>)[name]?.secret) return '***';
  const escaped = JSON.stringify(maskUrlPassword(value)).slice(1, -1);
  return escaped.length > 80 ? `${escaped.slice(0, 80)}…` : escaped;
}

/** The values a zod issue accepts, where it names them (an enum, a boolean's spellings, a union of literals). */
function acceptedValues(issue: z.core.$ZodIssue): string[] | undefined {
  if (issue.code === 'invalid_value') return issue.values.map(String);
  if (issue.code === 'invalid_union') {
    const values = issue.errors.flat().flatMap((inner) => acceptedValues(inner) ?? []);
    return values.length > 0 ? [...new Set(values)] : undefined;
  }
  return undefined;
}

/**
 * What is wrong with a setting's value, in words: the accepted values where the schema names them, every bad item of
 * a comma-separated list, and zod's own message otherwise. Never assumes one issue shape.
 */
function describeIssues(name: string, input: string, issues: readonly z.core.$ZodIssue[]): string {
  const items = input.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const messages: string[] = [];
  const badItems = new Map<string, string[]>();
  for (const issue of issues) {
    const accepted = acceptedValues(issue);
    const index = issue.path.length === 1 && typeof issue.path[0] === 'number' ? issue.path[0] : undefined;
    if (accepted === undefined) messages.push(issue.message);
    else if (index !== undefined && items[index] !== undefined) {
      const key = accepted.join(', ');
      badItems.set(key, [...(badItems.get(key) ?? []), `'${shown(name, items[index])}'`]);
    } else {
      messages.push(`must be one of ${accepted.join(', ')}${issue.code === 'invalid_value' && issue.values.includes('true') && issue.values.includes('false') ? ' (any case)' : ''}`);
    }
  }
  for (const [accepted, bad] of badItems) messages.push(`${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not accepted: each must be one of ${accepted}`);
  return [...new Set(messages)].join('; ') || 'invalid';
}

/**
 * A date or date-time given on the command line (--since/--until), as epoch ms: UTC unless it names a zone. A date
 * that does not exist (2025-02-30, 24:00) is refused, not rolled over into the next month.
 */
export function parseDateFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const fail = () => new ConfigError([`${flag}='${shown('', value.slice(0, 40))}': not a date (example: 2025-03-01 or 2025-03-01T00:00:00Z; times without a zone are UTC)`]);
  const parts = /^(\d{4})-(\d{2})-(\d{2})(?:[T\s](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(value);
  if (parts === null) throw fail();
  const [year, month, day, hour, minute, second] = parts.slice(1).map((p) => (p === undefined ? 0 : Number(p))) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    throw new ConfigError([`${flag}='${shown('', value.slice(0, 40))}': no such date or time (${year}-${String(month).padStart(2, '0')} has ${month >= 1 && month <= 12 ? daysInMonth : 'no'} days; hours 00-23, minutes and seconds 00-59)`]);
  }
  const t = Date.parse(/T|\s/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value}Z` : value);
  if (Number.isNaN(t)) throw fail();
  return t;
}

/**
 * Variables of the same .env that are not tpot2misp's: docker-compose.yml's interpolation (TPOT_NETWORK) and
 * the Node.js runtime's options, which docker compose passes into the container (NODE_OPTIONS).
 */
export const COMPOSE_ONLY: ReadonlySet<string> = new Set(['TPOT_NETWORK', 'NODE_OPTIONS']);

function readEnvFile(path: string, required: boolean, warnings: string[]): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return {};
    // Unreadable (permissions, a directory) or named and missing: running on defaults instead would be a surprise.
    throw new ConfigError([`settings file ${shown('', path)}: ${code === 'ENOENT' ? 'not found' : code ?? (error as Error).message}`]);
  }
  const parsed = parseEnv(text) as Record<string, string>;
  for (const key of Object.keys(parsed)) {
    if (!(key in DEFINITIONS) && !(key in LEGACY) && !COMPOSE_ONLY.has(key)) warnings.push(`${path}: unknown setting ${key} (ignored; see docs/configuration.md)`);
  }
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const warnings: string[] = [];
  const env = options.env ?? process.env;
  const fromFile = readEnvFile(options.envFile ?? '.env', options.envFileRequired === true, warnings);
  const raw: Record<string, string> = {};
  // Lowest precedence first: .env, then the environment, then flags.
  for (const layer of [fromFile, env]) {
    for (const [legacy, name] of Object.entries(LEGACY)) {
      const value = layer[legacy];
      if (value === undefined || value === '') continue;
      if (layer[name] !== undefined && layer[name] !== '') warnings.push(`${legacy} is deprecated and ignored because ${name} is also set`);
      else {
        warnings.push(`${legacy} is deprecated: use ${name}`);
        raw[name] = value;
      }
    }
    for (const name of Object.keys(DEFINITIONS)) {
      const value = layer[name];
      if (value !== undefined && value !== '') raw[name] = value;
    }
  }
  for (const [name, value] of Object.entries(options.flags ?? {})) {
    if (value !== undefined && value !== false) raw[name] = String(value);
  }

  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(DEFINITIONS) as [SettingName, Definition][]) {
    const given = raw[name];
    const input = given ?? definition.default;
    if (input === undefined) continue;
    const result = definition.schema.safeParse(input);
    if (result.success) values[name] = result.data;
    else {
      problems.push(`${name}='${shown(name, input)}': ${describeIssues(name, input, result.error.issues)}`);
    }
  }

  let honeypots: HoneypotType[] = [...DEFAULT_HONEYPOTS];
  if (Array.isArray(values['TPOT_HONEYPOTS']) && (values['TPOT_HONEYPOTS'] as string[]).length > 0) {
    honeypots = [];
    for (const name of values['TPOT_HONEYPOTS'] as string[]) {
      const type = resolveHoneypotType(name);
      if (type === undefined) problems.push(`TPOT_HONEYPOTS: unknown honeypot '${shown('TPOT_HONEYPOTS', name)}' (known: ${DEFAULT_HONEYPOTS.join(', ')})`);
      else if (type === 'NGINX') problems.push("TPOT_HONEYPOTS: 'NGINX' is T-Pot's own web UI access log, never attacker data; remove it");
      else if (!honeypots.includes(type)) honeypots.push(type);
    }
  }

  // Parsed values are typed by their schemas; read them back through one typed accessor.
  const v = <T = never>(name: SettingName): T => values[name] as T;
  const mode = v<Config['mode'] | undefined>('COLLECTION_MODE') ?? 'batch';
  const output = v<Config['output'] | undefined>('OUTPUT') ?? 'misp';
  const need = (name: SettingName, why: string) => {
    if (values[name] === undefined && raw[name] === undefined) problems.push(`${name}: required ${why}`);
  };
  // Requirements follow from a valid mode/output only: a misspelt OUTPUT is one problem, not three.
  const outputKnown = raw['OUTPUT'] === undefined || values['OUTPUT'] !== undefined;
  const modeKnown = raw['COLLECTION_MODE'] === undefined || values['COLLECTION_MODE'] !== undefined;
  if (output === 'misp' && outputKnown) {
    need('MISP_URL', 'when OUTPUT=misp');
    need('MISP_KEY', 'when OUTPUT=misp');
  }
  if (mode === 'batch' && modeKnown) need('ELASTICSEARCH_URL', 'when COLLECTION_MODE=batch');
  if (mode === 'realtime' && modeKnown) {
    for (const name of ['HPFEEDS_HOST', 'HPFEEDS_IDENT', 'HPFEEDS_SECRET', 'HPFEEDS_CHANNELS'] as const) need(name, 'when COLLECTION_MODE=realtime');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const namespace = v<string>('UUID_NAMESPACE');
  const orgName = v<string>('MISP_ORG_NAME');
  const provider = (prefix: 'VIRUSTOTAL' | 'ABUSEIPDB' | 'GREYNOISE'): EnrichmentProviderConfig => {
    const key = v<string | undefined>(`${prefix}_API_KEY`);
    return {
      enabled: v<boolean | undefined>(`${prefix}_ENABLED`) ?? key !== undefined,
      ...(key !== undefined && { apiKey: key }),
      url: v(`${prefix}_URL`),
      perMinute: v(`${prefix}_REQUESTS_PER_MINUTE`),
      perDay: v(`${prefix}_REQUESTS_PER_DAY`),
    };
  };
  const optional = <K extends string, T>(key: K, value: T | undefined) => (value === undefined ? {} : { [key]: value }) as Partial<Record<K, T>>;
  const config: Config = {
    mode,
    output,
    tpotDataDir: resolve(expandHome(v('TPOT_DATA_DIR'))),
    honeypots,
    lookbackDays: v('LOOKBACK_DAYS'),
    batchIntervalHours: v('BATCH_INTERVAL_HOURS'),
    stateDb: resolve(expandHome(v('STATE_DB'))),
    uuidNamespace: namespace,
    sensorIps: v<string[] | undefined>('SENSOR_IPS') ?? [],
    excludeIps: v<string[] | undefined>('EXCLUDE_IPS') ?? [],
    allowPrivateIps: v('ALLOW_PRIVATE_IPS'),
    misp: {
      ...optional('url', v('MISP_URL') as string | undefined),
      ...optional('key', v('MISP_KEY') as string | undefined),
      verifySsl: v('MISP_VERIFY_SSL'),
      ...optional('caFile', v('MISP_CA_FILE') as string | undefined),
      batchSize: v('MISP_BATCH_SIZE'),
      concurrency: v('MISP_CONCURRENCY'),
      timeoutSeconds: v('MISP_TIMEOUT'),
      retries: v('MISP_RETRIES'),
      distribution: v('MISP_DISTRIBUTION'),
      threatLevel: v('MISP_THREAT_LEVEL'),
      analysis: v('MISP_ANALYSIS'),
      tags: v<string[] | undefined>('MISP_TAGS') ?? [],
      orgName,
      orgUuid: v<string | undefined>('MISP_ORG_UUID') ?? uuidv5(`org|${orgName}`, namespace),
      autoPublish: v('AUTO_PUBLISH'),
      publishDelaySeconds: v('PUBLISH_DELAY'),
      feedDir: resolve(expandHome(v('MISP_FEED_DIR'))),
    },
    elasticsearch: {
      ...optional('url', v('ELASTICSEARCH_URL') as string | undefined),
      ...optional('user', v('ELASTICSEARCH_USER') as string | undefined),
      ...optional('password', v('ELASTICSEARCH_PASSWORD') as string | undefined),
      ...optional('caFile', v('ELASTICSEARCH_CA_FILE') as string | undefined),
      verifySsl: v('ELASTICSEARCH_VERIFY_SSL'),
      pageSize: v('ELASTICSEARCH_PAGE_SIZE'),
      overlapMinutes: v('ELASTICSEARCH_OVERLAP_MINUTES'),
    },
    maxPendingIndicators: v('MAX_PENDING_INDICATORS'),
    stateRetentionDays: v('STATE_RETENTION_DAYS'),
    hpfeeds: {
      ...optional('host', v('HPFEEDS_HOST') as string | undefined),
      port: v('HPFEEDS_PORT'),
      ...optional('ident', v('HPFEEDS_IDENT') as string | undefined),
      ...optional('secret', v('HPFEEDS_SECRET') as string | undefined),
      channels: v<string[] | undefined>('HPFEEDS_CHANNELS') ?? [],
      tls: v('HPFEEDS_TLS'),
      ...optional('caFile', v('HPFEEDS_CA_FILE') as string | undefined),
      flushSeconds: v('REALTIME_FLUSH_SECONDS'),
    },
    enrichment: {
      enabled: v('ENRICHMENT_ENABLED'),
      cacheDurationSeconds: v('CACHE_DURATION'),
      maxSeconds: v('ENRICHMENT_MAX_SECONDS'),
      dropBenign: v('ENRICHMENT_DROP_BENIGN'),
      virustotal: provider('VIRUSTOTAL'),
      abuseipdb: provider('ABUSEIPDB'),
      greynoise: { ...provider('GREYNOISE'), plan: v('GREYNOISE_PLAN') },
    },
    log: { level: v('LOG_LEVEL'), fileEnabled: v('LOG_FILE_ENABLED'), filePath: resolve(expandHome(v('LOG_FILE_PATH'))), fileMaxSize: v('LOG_FILE_MAX_SIZE'), fileMaxFiles: v('LOG_FILE_MAX_FILES'), format: v('LOG_FORMAT') },
    report: { enabled: v('VALIDATION_REPORT_ENABLED'), dir: resolve(expandHome(v('VALIDATION_REPORT_DIR'))), formats: v('VALIDATION_REPORT_FORMAT') },
    prometheus: { enabled: v('PROMETHEUS_ENABLED'), host: v('PROMETHEUS_HOST'), port: v('PROMETHEUS_PORT') },
    secrets: Object.entries(DEFINITIONS)
      .filter(([name, d]) => (d as Definition).secret && typeof values[name] === 'string')
      .map(([name]) => values[name] as string)
      .concat(urlPasswords(v('ELASTICSEARCH_URL'), v('MISP_URL'))),
  };
  if (output === 'misp' && !config.misp.verifySsl) warnings.push('TLS verification is OFF for MISP (MISP_VERIFY_SSL=false): anyone on the path can read the API key');
  const enrichment = config.enrichment;
  if (enrichment.enabled && !enrichment.virustotal.enabled && !enrichment.abuseipdb.enabled && !enrichment.greynoise.enabled) {
    warnings.push('ENRICHMENT_ENABLED=true but no provider is enabled: set VIRUSTOTAL_API_KEY, ABUSEIPDB_API_KEY or GREYNOISE_API_KEY (or GREYNOISE_ENABLED=true for the keyless community API)');
  }
  if (enrichment.greynoise.enabled && enrichment.greynoise.plan === 'enterprise' && enrichment.greynoise.apiKey === undefined) {
    problems.push('GREYNOISE_PLAN=enterprise needs GREYNOISE_API_KEY');
  }
  if (enrichment.enabled && enrichment.virustotal.enabled && enrichment.virustotal.apiKey === undefined) problems.push('VIRUSTOTAL_ENABLED=true needs VIRUSTOTAL_API_KEY');
  if (enrichment.enabled && enrichment.abuseipdb.enabled && enrichment.abuseipdb.apiKey === undefined) problems.push('ABUSEIPDB_ENABLED=true needs ABUSEIPDB_API_KEY');
  const es = config.elasticsearch;
  // The password goes out only with a user (ELASTICSEARCH_USER, or the user written in ELASTICSEARCH_URL): alone it
  // would be dropped without a word, and T-Pot's nginx would answer 401 with no hint why.
  if ((mode === 'batch' || es.url !== undefined) && es.password !== undefined && es.user === undefined && (es.url === undefined || new URL(es.url).username === '')) {
    problems.push('ELASTICSEARCH_PASSWORD is set but ELASTICSEARCH_USER is not: a password is only sent with a user — set ELASTICSEARCH_USER (T-Pot\'s web UI user, WEB_USER in ~/tpotce/.env), or remove the password for an Elasticsearch without authentication');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (output === 'feed' && config.misp.autoPublish) warnings.push('AUTO_PUBLISH has no effect with OUTPUT=feed: the MISP that pulls the feed decides (its feed setting "Auto Publish")');
  if (mode === 'batch' && !config.elasticsearch.verifySsl) warnings.push('TLS verification is OFF for Elasticsearch (ELASTICSEARCH_VERIFY_SSL=false)');
  return { config: deepFreeze(config), warnings };
}
