// The `files` source: T-Pot's own honeypot logs under the data directory, read completely and resumably.
//
// Cursor: per log file (path relative to the data directory) its inode, the byte offset after the last
// complete line read, and a fingerprint of its first bytes. Rotation by rename (a new inode at the path) is
// followed: the old file is found among its siblings (by inode, or by fingerprint once gzip-compressed) and
// finished before the new one is read from the start. Truncation in place (smaller than the offset, or other
// first bytes) restarts at 0. A first run reads the rotated siblings too, oldest first, then the live file.
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import type { SkipReason } from '../attack-event.js';
import type { Doc } from '../honeypots/fields.js';
import type { Honeypot, NativeLog } from '../honeypots/honeypot.js';
import { readLines } from './files/line-reader.js';
import { readSensorEnvironment, type SensorEnvironment } from './sensor-environment.js';
import type { JsonValue, Source, SourceBatch, SourceRecord } from './source.js';

// Blank lines are skipped; tested without trimming (a copy of every line otherwise).
const BLANK = /^\s*$/;

export interface FilesSourceOptions {
  readonly dataDir: string;
  readonly honeypots: readonly Honeypot[];
  readonly sensor?: SensorEnvironment;
  readonly batchSize?: number;
  readonly maxLineBytes?: number;
}

interface FileCursor {
  ino: number;
  offset: number;
  /** sha1 of the file's first `fingerprintBytes` bytes: identifies the file after it is compressed or copied. */
  fingerprint: string;
  fingerprintBytes: number;
  /** CSV header, kept so a file can be resumed mid-way. */
  header?: string[];
}

type FilesCursor = Record<string, FileCursor>;

const FINGERPRINT_BYTES = 4096;

async function fingerprintOf(path: string, gzip: boolean, length = FINGERPRINT_BYTES): Promise<{ hash: string; bytes: number }> {
  let head: Buffer;
  if (gzip) {
    const { readFile } = await import('node:fs/promises');
    try {
      head = gunzipSync(await readFile(path)).subarray(0, length);
    } catch {
      head = Buffer.alloc(0);
    }
  } else {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
  return { hash: createHash('sha1').update(head).digest('hex'), bytes: head.length };
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** Rotated copies of `live` in its directory: `<name>.1`, `<name>.2.gz`, `<name>-20250314`… oldest first. */
async function rotatedSiblings(live: string): Promise<{ path: string; ino: number; mtimeMs: number; gzip: boolean }[]> {
  const dir = dirname(live);
  const name = basename(live);
  const out: { path: string; ino: number; mtimeMs: number; gzip: boolean }[] = [];
  for (const entry of await listDir(dir)) {
    if (entry === name || !(entry.startsWith(`${name}.`) || entry.startsWith(`${name}-`))) continue;
    const path = join(dir, entry);
    try {
      const info = await stat(path);
      if (info.isFile()) out.push({ path, ino: info.ino, mtimeMs: info.mtimeMs, gzip: entry.endsWith('.gz') });
    } catch {
      // vanished meanwhile
    }
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? 1 : -1));
}

/** Joins physical lines into one CSV record while a quoted field is still open (quotes unbalanced). */
function quotesBalanced(text: string): boolean {
  let count = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) count++;
  return count % 2 === 0;
}

export function createFilesSource(options: FilesSourceOptions): Source {
  const dataDir = resolve(options.dataDir);
  const sensor = options.sensor ?? readSensorEnvironment(dataDir);
  const batchSize = options.batchSize ?? 5000;
  const maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
  const common: Record<string, string> = {
    ...(sensor.extIp && { 't-pot_ip_ext': sensor.extIp }),
    ...(sensor.intIp && { 't-pot_ip_int': sensor.intIp }),
    ...(sensor.hostname && { 't-pot_hostname': sensor.hostname }),
  };

  async function* batches(resume: JsonValue | undefined): AsyncGenerator<SourceBatch> {
    const cursor: FilesCursor = structuredClone(
      resume !== undefined && resume !== null && typeof resume === 'object' && !Array.isArray(resume) ? (resume['files'] as unknown as FilesCursor) ?? {} : {},
    );
    let records: SourceRecord[] = [];
    const snapshot = (): SourceBatch => {
      const batch = { records, cursor: { files: structuredClone(cursor) } as unknown as JsonValue };
      records = [];
      return batch;
    };

    for (const honeypot of options.honeypots) {
      for (const log of honeypot.logs) {
        for (const relPath of await matchingFiles(log)) {
          const live = join(dataDir, relPath);
          let info;
          try {
            info = await stat(live);
          } catch {
            continue;
          }
          if (!info.isFile()) continue;
          const previous = cursor[relPath];
          // What to read before the live file: a rotated predecessor's unread tail, or (first run) all rotated copies.
          const before: { path: string; gzip: boolean; offset: number; header?: string[] }[] = [];
          let liveOffset = 0;
          let header: string[] | undefined;
          if (previous === undefined) {
            for (const sibling of await rotatedSiblings(live)) before.push({ path: sibling.path, gzip: sibling.gzip, offset: 0 });
          } else {
            const now = previous.ino === info.ino ? await fingerprintOf(live, false, previous.fingerprintBytes) : undefined;
            if (now !== undefined && info.size >= previous.offset && now.hash === previous.fingerprint) {
              liveOffset = previous.offset;
              header = previous.header;
            } else {
              // Rotated (renamed, maybe compressed since) or truncated after a copy: finish the predecessor first.
              const predecessor = await findPredecessor(live, info.ino, previous);
              if (predecessor !== undefined) before.push({ ...predecessor, offset: previous.offset, ...(previous.header && { header: previous.header }) });
            }
          }

          for (const old of before) {
            const fp = await fingerprintOf(old.path, old.gzip);
            cursor[relPath] = { ino: previous?.ino ?? -1, offset: old.offset, fingerprint: fp.hash, fingerprintBytes: fp.bytes, ...(old.header && { header: old.header }) };
            for await (const batch of readFile(honeypot, log, relPath, old.path, old.gzip, old.offset, true, old.header)) yield batch;
          }
          const fp = await fingerprintOf(live, false);
          const liveCursor: FileCursor = { ino: info.ino, offset: liveOffset, fingerprint: fp.hash, fingerprintBytes: fp.bytes, ...(header && { header }) };
          if (liveOffset > 0 && previous !== undefined) {
            liveCursor.fingerprint = previous.fingerprint;
            liveCursor.fingerprintBytes = previous.fingerprintBytes;
          }
          cursor[relPath] = liveCursor;
          for await (const batch of readFile(honeypot, log, relPath, live, false, liveOffset, false, header)) yield batch;
          // Refresh the fingerprint once the file has grown past the bytes it covered.
          const entry = cursor[relPath];
          if (entry !== undefined && entry.ino === info.ino && entry.fingerprintBytes < FINGERPRINT_BYTES && entry.offset > entry.fingerprintBytes) {
            const fresh = await fingerprintOf(live, false, Math.min(FINGERPRINT_BYTES, entry.offset));
            entry.fingerprint = fresh.hash;
            entry.fingerprintBytes = fresh.bytes;
          }
        }
      }
    }
    yield snapshot();

    async function* readFile(
      honeypot: Honeypot,
      log: NativeLog,
      relPath: string,
      path: string,
      gzip: boolean,
      offset: number,
      includePartialLast: boolean,
      knownHeader: string[] | undefined,
    ): AsyncGenerator<SourceBatch> {
      const skip = (reason: SkipReason): SourceRecord => ({ skip: reason, honeypot: honeypot.type });
      let header = knownHeader;
      let csvPending = '';
      const entry = cursor[relPath]!;
      for await (const line of readLines(path, offset, { maxLineBytes, gzip, includePartialLast })) {
        entry.offset = line.end;
        if (line.bytes === undefined) {
          csvPending = '';
          records.push(skip('document_too_large'));
        } else {
          let text = line.bytes.toString('utf8');
          if (text.endsWith('\r')) text = text.slice(0, -1);
          let record: Doc | undefined | SkipReason;
          if (log.format === 'csv') {
            if (header === undefined && line.end - line.bytes.length - 1 <= 0) {
              header = text.split(',').map((h) => h.trim());
              entry.header = header;
              continue;
            }
            csvPending = csvPending === '' ? text : `${csvPending}\n${text}`;
            if (!quotesBalanced(csvPending)) {
              if (csvPending.length > maxLineBytes) {
                csvPending = '';
                records.push(skip('document_too_large'));
              }
              continue;
            }
            record = parseCsvRecord(csvPending, header);
            csvPending = '';
          } else if (log.format === 'text') {
            record = BLANK.test(text) ? undefined : { message: text };
            if (record === undefined) continue;
          } else {
            if (BLANK.test(text)) continue;
            record = parseJsonRecord(text);
          }
          if (typeof record === 'string') records.push(skip(record));
          else if (record !== undefined) records.push(toDocument(honeypot, relPath, record));
        }
        if (records.length >= batchSize) yield snapshot();
      }
    }
  }

  function toDocument(honeypot: Honeypot, relPath: string, record: Doc): SourceRecord {
    let shaped: Doc | undefined;
    try {
      shaped = honeypot.fromNative(record, relPath);
    } catch {
      return { skip: 'malformed', honeypot: honeypot.type };
    }
    if (shaped === undefined) return { skip: 'not_an_attack', honeypot: honeypot.type };
    // Like Logstash's file input, `path` is set only when the record has none (Tanner logs its own `path`).
    return { doc: { path: `/data/${relPath}`, ...shaped, type: honeypot.type, ...common } };
  }

  async function matchingFiles(log: NativeLog): Promise<string[]> {
    if (!log.path.includes('*')) return [log.path];
    const dir = dirname(log.path);
    const pattern = globToRegExp(basename(log.path));
    return (await listDir(join(dataDir, dir))).filter((name) => pattern.test(name)).map((name) => join(dir, name));
  }

  async function findPredecessor(live: string, liveIno: number, previous: FileCursor): Promise<{ path: string; gzip: boolean } | undefined> {
    const siblings = await rotatedSiblings(live);
    // An inode can be reused by the new live file once the old one is deleted: only trust it when it differs.
    const byInode = previous.ino !== liveIno ? siblings.find((s) => !s.gzip && s.ino === previous.ino) : undefined;
    if (byInode !== undefined) return byInode;
    for (const sibling of siblings.reverse()) {
      const fp = await fingerprintOf(sibling.path, sibling.gzip, previous.fingerprintBytes);
      if (fp.hash === previous.fingerprint && fp.bytes === previous.fingerprintBytes) return sibling;
    }
    return undefined;
  }

  return {
    name: `files:${dataDir}`,
    batches,
    async close() {},
  };
}

function parseJsonRecord(text: string): Doc | SkipReason {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Doc) : 'malformed';
  } catch {
    return 'malformed';
  }
}

function parseCsvRecord(text: string, header: string[] | undefined): Doc | SkipReason {
  if (header === undefined) return 'malformed';
  try {
    const rows = parseCsv(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
    const row = rows[0];
    if (row === undefined || rows.length !== 1) return 'malformed';
    return Object.fromEntries(header.map((name, i) => [name, row[i] ?? '']));
  } catch {
    return 'malformed';
  }
}
