// Attack templates for the synthetic data set: the bundled sample's log lines (examples/tpot-data, a few per honeypot,
// hostile strings included), each of which can be re-issued with another attacker address and time. They give the
// generator every honeypot type in the shape its own log has, without a hand-written generator per type.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import { AttackerIpPolicy } from '../attacker-ip-policy.js';
import { isSkip, type AttackEvent } from '../attack-event.js';
import type { Doc } from '../honeypots/fields.js';
import type { Honeypot, NativeLog } from '../honeypots/honeypot.js';
import { allHoneypots } from '../honeypots/registry.js';
import { extractIndicators } from '../indicators.js';
import { escapeRegExp, logFilesMatching } from '../sources/log-glob.js';

export interface AttackTemplate {
  readonly honeypot: Honeypot;
  /** The log file, relative to a T-Pot data directory. */
  readonly path: string;
  readonly format: NativeLog['format'];
  /** A CSV log's header line's names, in order. */
  readonly header?: readonly string[];
  /** The native record (`{ message }` for a text log, header names → values for CSV). */
  readonly record: Doc;
  readonly srcIp: string;
  /** `srcIp` as a whole token only: 192.0.2.4 must not touch 192.0.2.45 (a port may follow it). */
  readonly srcIpToken: RegExp;
  readonly time: number;
  /** Re-issued only with IPv4 addresses (the sample writes its address IPv6-mapped, `::ffff:192.0.2.1`). */
  readonly v4Only: boolean;
}

const SAMPLE_DIR = join(fileURLToPath(new URL('../..', import.meta.url)), 'examples', 'tpot-data');
const DATE_TIME = /(\d{4})([-/])(\d{2})\2(\d{2})([T ])(\d{2}):(\d{2}):(\d{2})(?:([.,])(\d+))?/g;
// Epoch numbers within a year of the template's time, in seconds or milliseconds.
const YEAR_MS = 366 * 86_400_000;
// Documentation addresses no sample uses.
const PROBE_V4 = '203.0.113.254';
const PROBE_V6 = '2001:db8:ffff::fe';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `text` with every date-time in it moved by `shiftMs` (whole seconds), in the same spelling (separators and zone
 * kept); a fraction of a second becomes zeros, so that the time read back is exactly the one asked for.
 */
function shiftDateTimes(text: string, shiftMs: number): string {
  return text.replace(DATE_TIME, (_m, y: string, ds: string, mo: string, d: string, ts: string, h: string, mi: string, s: string, fs?: string, f?: string) => {
    const t = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) + shiftMs);
    const date = `${t.getUTCFullYear()}${ds}${pad(t.getUTCMonth() + 1)}${ds}${pad(t.getUTCDate())}`;
    return `${date}${ts}${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}${f === undefined ? '' : `${fs}${'0'.repeat(f.length)}`}`;
  });
}

/** A record as its log writes it: a JSON line, a text log's message, or a CSV row in the header's order. */
export function nativeLine(record: Doc, format: NativeLog['format'], header: readonly string[] = []): string {
  if (format === 'text') return String(record['message']);
  if (format === 'json') return JSON.stringify(record);
  return header.map((name) => csvField(String(record[name] ?? ''))).join(',');
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The template's record with its attacker address replaced by `ip` and its times moved so that the attack is at
 * `time` (whole seconds: the sample's fractions of a second become zeros).
 */
export function instantiate(template: AttackTemplate, ip: string, time: number): Doc {
  const shift = time - Math.floor(template.time / 1000) * 1000;
  const rewrite = (value: unknown): unknown => {
    if (typeof value === 'string') return shiftDateTimes(value.replace(template.srcIpToken, ip), shift);
    if (typeof value === 'number' && Math.abs(value * 1000 - template.time) < YEAR_MS) return Math.floor(value) + shift / 1000;
    if (typeof value === 'number' && Math.abs(value - template.time) < YEAR_MS) return Math.floor(value / 1000) * 1000 + shift;
    if (Array.isArray(value)) return value.map(rewrite);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
    return value;
  };
  return rewrite(template.record) as Doc;
}

/** The attack a native record gives, as the files source would read it. */
function attackOf(honeypot: Honeypot, path: string, record: Doc): AttackEvent | undefined {
  const shaped = honeypot.fromNative(record, path);
  if (shaped === undefined) return undefined;
  const attack = honeypot.normalize({ ...shaped, type: honeypot.type });
  return isSkip(attack) ? undefined : attack;
}

/** Re-issued with `ip` at `time`, the record is that attack, and `ip` is its one attacker address. */
function reissues(template: AttackTemplate, ip: string, time: number): boolean {
  const attack = attackOf(template.honeypot, template.path, instantiate(template, ip, time));
  if (attack?.srcIp !== ip || attack.time !== time) return false;
  const observation = extractIndicators(attack, new AttackerIpPolicy());
  if ('skip' in observation) return false;
  const sources = observation.indicators.flatMap((i) => (i.kind === 'attribute' && i.type === 'ip-src' ? [i.value] : []));
  return sources.length === 1 && sources[0] === ip;
}

/**
 * Every sample line of the given honeypots that is an attack and survives re-issuing (a probe with another address
 * and time gives exactly that address and time, and no other source address), in file order.
 */
export function loadTemplates(honeypots: readonly Honeypot[] = allHoneypots(), sampleDir = SAMPLE_DIR): AttackTemplate[] {
  const templates: AttackTemplate[] = [];
  for (const honeypot of honeypots) {
    for (const log of honeypot.logs) {
      for (const path of logFilesMatching(sampleDir, log.path)) {
        const lines = readSample(join(sampleDir, path));
        // A CSV log's first line names its columns (sample CSV rows hold no line breaks).
        const header = log.format === 'csv' ? lines.shift()?.split(',').map((name) => name.trim()) : undefined;
        for (const line of lines) {
          const record = parseRecord(line, log.format, header);
          const attack = record === undefined ? undefined : attackOf(honeypot, path, record);
          if (record === undefined || attack === undefined || !attack.srcIp.includes('.')) continue;
          const srcIpToken = new RegExp(`(?<![\\w.])${escapeRegExp(attack.srcIp)}(?![\\w.])`, 'g');
          const template = { honeypot, path, format: log.format, ...(header && { header }), record, srcIp: attack.srcIp, srcIpToken, time: attack.time, v4Only: false };
          const probeTime = Math.floor(attack.time / 1000) * 1000 + 3 * 86_400_000 + 3_723_000;
          if (!reissues(template, PROBE_V4, probeTime)) continue;
          // A sample that writes an IPv4 address IPv6-mapped (Dionaea's `::ffff:192.0.2.1`) takes IPv4 attackers only.
          templates.push({ ...template, v4Only: !reissues(template, PROBE_V6, probeTime) });
        }
      }
    }
  }
  return templates;
}

function parseRecord(line: string, format: NativeLog['format'], header: readonly string[] | undefined): Doc | undefined {
  if (line.trim() === '') return undefined;
  if (format === 'text') return { message: line };
  try {
    if (format === 'csv') {
      const [row] = parseCsv(line, { relax_column_count: true }) as string[][];
      return header === undefined || row === undefined ? undefined : Object.fromEntries(header.map((name, i) => [name, row[i] ?? '']));
    }
    const record: unknown = JSON.parse(line);
    return record !== null && typeof record === 'object' && !Array.isArray(record) ? (record as Doc) : undefined;
  } catch {
    return undefined;
  }
}

/** A sample file's lines; none when it is missing (a copy without examples/, a log the sample has no line of). */
function readSample(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return [];
  }
}
