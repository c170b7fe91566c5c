// The `files` source: T-Pot's own honeypot logs under the data directory, read completely and resumably.
//
// Cursor: per log file (path relative to the data directory) its inode, the byte offset after the last
// complete line read, and a fingerprint of its first bytes. Rotation by rename (a new inode at the path) is
// followed: the old file is found among its siblings (by inode, or by fingerprint once gzip-compressed) and
// finished, then every sibling rotated after it (several rotations between two runs: a weekend without the
// bridge, T-Pot restarts), then the new live file from the start. Truncation in place (smaller than the offset,
// or other first bytes) restarts at 0. A first run reads the rotated siblings too, oldest first, then the live
// file; while it reads a sibling the cursor names that sibling, so an interrupted first run resumes there.
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { constants as zlib, gunzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import type { SkipReason } from '../attack-event.js';
import type { Doc } from '../honeypots/fields.js';
import type { Honeypot, NativeLog } from '../honeypots/honeypot.js';
import { readLines } from './files/line-reader.js';
import { readSensorEnvironment, type SensorEnvironment } from './sensor-environment.js';
import type { JsonValue, Source, SourceBatch, SourceRecord } from './source.js';
import { escapeRegExp, globToRegExp } from './log-glob.js';

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
// Compressed bytes inflated for a gzip file's fingerprint: deflate never makes data much bigger, so this yields
// at least FINGERPRINT_BYTES of text (and at most ~16 MB, deflate's ratio being ≤ 1032:1) whatever the file's size.
const GZIP_HEAD_BYTES = 16 * 1024;

async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function fingerprintOf(path: string, gzip: boolean, length = FINGERPRINT_BYTES): Promise<{ hash: string; bytes: number }> {
  let head: Buffer;
  if (gzip) {
    try {
      // Only the file's first bytes: a rotated eve.json can be gigabytes. A sync flush inflates what a cut-off
      // stream holds instead of failing on its missing end.
      head = gunzipSync(await readHead(path, GZIP_HEAD_BYTES), { finishFlush: zlib.Z_SYNC_FLUSH }).subarray(0, length);
    } catch {
      head = Buffer.alloc(0);
    }
  } else {
    head = await readHead(path, length);
  }
  return { hash: createHash('sha1').update(head).digest('hex'), bytes: head.length };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

interface RotatedFile {
  readonly path: string;
  readonly ino: number;
  readonly mtimeMs: number;
  readonly gzip: boolean;
}

/**
 * How a Go program rotating its own log with lumberjack (Glutton) names the old files: `glutton.log` becomes
 * `glutton-2025-03-14T17-00-00.000.log`, then `.gz` once compressed.
 */
function lumberjackBackup(name: string): RegExp | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return new RegExp(`^${escapeRegExp(name.slice(0, dot))}-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3}${escapeRegExp(name.slice(dot))}(?:\\.gz)?$`);
}

/**
 * Rotated copies of `live` in its directory: `<name>.1`, `<name>.2.gz`, `<name>-20250314`, lumberjack's
 * `<stem>-<time><ext>[.gz]`… oldest first.
 */
async function rotatedSiblings(live: string): Promise<RotatedFile[]> {
  const dir = dirname(live);
  const name = basename(live);
  const lumberjack = lumberjackBackup(name);
  const out: RotatedFile[] = [];
  for (const entry of await listDir(dir)) {
    // logrotate's names (cowrie.json.1, .2.gz, -20250314) and lumberjack's.
    const rotated = entry.startsWith(`${name}.`) || entry.startsWith(`${name}-`) || lumberjack?.test(entry) === true;
    if (entry === name || !rotated) continue;
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
  // Parsed documents are held until their batch is processed (about 1.3 KB each), and the pipeline checks for a
  // delivery between batches: small batches keep both small.
  const batchSize = options.batchSize ?? 1000;
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
          // What to read before the live file: a rotated predecessor's unread tail and the copies rotated after it,
          // or (first run) all rotated copies.
          const before: { path: string; ino: number; gzip: boolean; offset: number; header?: string[] }[] = [];
          let liveOffset = 0;
          let header: string[] | undefined;
          if (previous === undefined) {
            for (const sibling of await rotatedSiblings(live)) before.push({ ...sibling, offset: 0 });
          } else {
            const now = previous.ino === info.ino ? await fingerprintOf(live, false, previous.fingerprintBytes) : undefined;
            if (now !== undefined && info.size >= previous.offset && now.hash === previous.fingerprint) {
              liveOffset = previous.offset;
              header = previous.header;
            } else {
              // Rotated (renamed, maybe compressed since) or truncated after a copy: finish the predecessor first,
              // then whatever was rotated after it, oldest first (siblings are sorted by modification time).
              const siblings = await rotatedSiblings(live);
              const found = await findPredecessor(siblings, info.ino, previous);
              if (found !== undefined) {
                before.push({ ...siblings[found]!, offset: previous.offset, ...(previous.header && { header: previous.header }) });
                for (const later of siblings.slice(found + 1)) before.push({ ...later, offset: 0 });
              }
            }
          }

          for (const old of before) {
            const fp = await fingerprintOf(old.path, old.gzip);
            // Its own inode (a compressed copy's says nothing: found again by fingerprint), so that a run stopped here
            // finds this sibling again, finishes it and goes on with the ones after it.
            cursor[relPath] = { ino: old.gzip ? -1 : old.ino, offset: old.offset, fingerprint: fp.hash, fingerprintBytes: fp.bytes, ...(old.header && { header: old.header }) };
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
        // Past this line once it is used up; a CSV record still open (a quoted newline, the rest maybe not written
        // yet) moves the offset only when it is complete, so that a run ending there reads it again whole.
        if (log.format !== 'csv') entry.offset = line.end;
        if (line.bytes === undefined) {
          entry.offset = line.end;
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
              entry.offset = line.end;
              continue;
            }
            csvPending = csvPending === '' ? text : `${csvPending}\n${text}`;
            if (!quotesBalanced(csvPending)) {
              if (csvPending.length > maxLineBytes) {
                csvPending = '';
                entry.offset = line.end;
                records.push(skip('document_too_large'));
              }
              continue;
            }
            record = parseCsvRecord(csvPending, header);
            csvPending = '';
            entry.offset = line.end;
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

  /** The index among `siblings` (oldest first) of the file the cursor was reading, if it is still there. */
  async function findPredecessor(siblings: readonly RotatedFile[], liveIno: number, previous: FileCursor): Promise<number | undefined> {
    // An inode can be reused by the new live file once the old one is deleted: only trust it when it differs.
    const byInode = previous.ino !== liveIno && previous.ino >= 0 ? siblings.findIndex((s) => !s.gzip && s.ino === previous.ino) : -1;
    if (byInode >= 0) return byInode;
    // Newest first: the predecessor is usually the latest rotation.
    for (let k = siblings.length - 1; k >= 0; k--) {
      const fp = await fingerprintOf(siblings[k]!.path, siblings[k]!.gzip, previous.fingerprintBytes);
      if (fp.hash === previous.fingerprint && fp.bytes === previous.fingerprintBytes) return k;
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
