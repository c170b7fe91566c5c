// Attack-time parsing. Honeypots write many formats; a time without a zone is UTC.

const NAIVE = /^(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?$/;
const ZONED = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})(Z)?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

// Earliest and latest plausible attack times: anything outside is a broken clock or hostile input.
const MIN_TIME = Date.UTC(1995, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);

/** Whether `ms` is a plausible attack time (1995 ≤ t < 2200). */
export function isPlausibleTime(ms: number): boolean {
  return ms >= MIN_TIME && ms < MAX_TIME;
}

function fromParts(
  y: string,
  mo: string,
  d: string,
  h: string,
  mi: string,
  s: string,
  frac: string | undefined,
  offsetMinutes: number,
): number | undefined {
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const t = Date.UTC(Number(y), month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  return isPlausibleTime(t) ? t : undefined;
}

function parseOffset(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

/**
 * Parses a honeypot or Logstash time into epoch milliseconds (UTC).
 * Accepts ISO-8601 with `Z` or an offset (also ipphoney's `+00:00Z`), naive `YYYY-MM-DD[T ]HH:MM:SS[.f]`
 * and `YYYY/MM/DD HH:MM:SS` (read as UTC), and epoch numbers in seconds, milliseconds or nanoseconds.
 */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const text = value.trim();
  let m = ZONED.exec(text);
  if (m) return fromParts(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7], parseOffset(m[8]!));
  m = NAIVE.exec(text);
  if (m) return fromParts(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7], 0);
  m = DATE_ONLY.exec(text);
  if (m) return fromParts(m[1]!, m[2]!, m[3]!, '00', '00', '00', undefined, 0);
  if (/^\d+(\.\d+)?$/.test(text)) return fromEpoch(Number(text));
  return undefined;
}

function fromEpoch(n: number): number | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  // Seconds, milliseconds, microseconds or nanoseconds: pick the unit that lands in the plausible range.
  for (const divisor of [1e-3, 1, 1e3, 1e6]) {
    const ms = Math.floor(n / divisor);
    if (isPlausibleTime(ms)) return ms;
  }
  return undefined;
}

/** The UTC calendar day of an epoch-millisecond time, as YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The next 00:00 UTC after `ms` (epoch ms): when daily API quotas reset. */
export function nextUtcMidnight(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/** Epoch milliseconds as the Unix-seconds string MISP uses for `timestamp` fields. */
export function unixSeconds(ms: number): string {
  return String(Math.floor(ms / 1000));
}

/** ISO-8601 with microseconds and an explicit UTC offset, the way MISP and PyMISP write datetimes. */
export function mispDateTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2025-03-14T09:26:53.589Z
  return `${iso.slice(0, 23)}000+00:00`;
}
