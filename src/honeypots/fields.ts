// Safe readers for attacker-written documents: a field is used only if it has the expected JSON type.
import { parseTime } from '../time.js';

export type Doc = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a field by path. Logstash writes some names as literal dotted keys ("http.url") and others
 * as nested objects; both spellings are accepted, the literal key first.
 */
export function field(doc: Doc, path: string): unknown {
  if (Object.hasOwn(doc, path)) return doc[path];
  if (!path.includes('.')) return undefined;
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

/** A string field, or undefined when absent, empty or not a string. */
export function text(doc: Doc, path: string): string | undefined {
  const value = field(doc, path);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** A string field, empty included (an empty password is a guess of its own), or undefined when absent or not a string. */
export function textOrEmpty(doc: Doc, path: string): string | undefined {
  const value = field(doc, path);
  return typeof value === 'string' ? value : undefined;
}

/** The first of several string fields that is present. */
export function firstText(doc: Doc, ...paths: string[]): string | undefined {
  for (const path of paths) {
    const value = text(doc, path);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A string or a list of strings, as a list (non-strings dropped). */
export function texts(doc: Doc, path: string): string[] {
  const value = field(doc, path);
  if (typeof value === 'string') return value.length > 0 ? [value] : [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  return [];
}

/** An integer field given as a JSON number or a numeric string. */
export function integer(doc: Doc, path: string): number | undefined {
  const value = field(doc, path);
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d{1,15}\s*$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A TCP/UDP port (0–65535). */
export function port(doc: Doc, path: string): number | undefined {
  const n = integer(doc, path);
  return n !== undefined && n >= 0 && n <= 65535 ? n : undefined;
}

/** The document's attack time: Logstash's `@timestamp`, else the first native time field given. */
export function attackTime(doc: Doc, ...nativeFields: string[]): number | undefined {
  for (const name of ['@timestamp', ...nativeFields]) {
    const t = parseTime(field(doc, name));
    if (t !== undefined) return t;
  }
  return undefined;
}

/** The sensor's own addresses that Logstash stamps on every document. */
export function sensorIps(doc: Doc): string[] {
  return [text(doc, 't-pot_ip_ext'), text(doc, 't-pot_ip_int')].filter((v): v is string => v !== undefined);
}

/**
 * The last path segment of a URL or file path ("http://x/a/b.sh?x=1" → "b.sh"), never throwing on
 * malformed input.
 */
export function fileNameOf(pathOrUrl: string): string | undefined {
  const withoutQuery = pathOrUrl.split(/[?#]/, 1)[0] ?? '';
  const name = withoutQuery.split(/[/\\]/).pop();
  return name !== undefined && name.length > 0 && name.length <= 255 ? name : undefined;
}

/** Removes duplicates, keeping first-seen order. */
export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}
