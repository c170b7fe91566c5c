// The `batch` source: T-Pot's Elasticsearch, read completely (point in time + search_after, no 10,000-hit
// cap), streamed page by page, and resumably.
//
// Cursor: the @timestamp (ms) of the last document handed over, and the ids of the documents handed over
// within OVERLAP before it. The next run starts OVERLAP before that timestamp, so documents indexed late
// (Logstash backed up, a sensor catching up) are still read, and skips the ids it already handed over, so
// nothing is counted twice.
import { Tpot2MispError } from '../errors.js';
import type { Doc } from '../honeypots/fields.js';
import type { Honeypot } from '../honeypots/honeypot.js';
import { displayUrl, type EsClient, type EsHit, type EsInfo, type EsSearchResponse } from './elasticsearch/es-client.js';
import type { JsonValue, Source, SourceBatch, SourceRecord } from './source.js';

export interface ElasticsearchSourceOptions {
  readonly client: EsClient;
  /** ELASTICSEARCH_URL (credentials are never part of the source name). */
  readonly url: string;
  readonly honeypots: readonly Honeypot[];
  /** First run without a checkpoint: how far back to read. */
  readonly lookbackDays: number;
  /** An explicit window (`--since`/`--until`, ms): read it instead, under its own checkpoint. */
  readonly since?: number;
  readonly until?: number;
  readonly index?: string;
  readonly pageSize?: number;
  readonly overlapMs?: number;
  readonly now?: () => number;
  /** Told what answered GET / (always the first request). */
  readonly onConnected?: (info: EsInfo) => void;
  /** Told the total (from the first page) and every page read, for a progress display. */
  readonly onProgress?: (read: number, total: number | undefined) => void;
}

interface EsCursor {
  /** @timestamp (ms) of the last document handed over. */
  readonly ts: number;
  /** Where the next run starts reading: `ts - overlap`, later if the id list had to be cut. */
  readonly from: number;
  /** Ids handed over with @timestamp ≥ from: skipped when read again. */
  readonly seen: readonly string[];
}

const DEFAULT_INDEX = 'logstash-*';
const DEFAULT_PAGE_SIZE = 5_000;
const DEFAULT_OVERLAP_MS = 10 * 60_000;
/** Bounds the cursor: on a very busy sensor the overlap shrinks rather than the checkpoint growing. */
const MAX_SEEN_IDS = 50_000;
const PIT_KEEP_ALIVE = '5m';
/** Fields every normalizer reads (see the Honeypot contract). */
// GeoIP: three small fields for the report's country/ASN charts (the rest of `geoip` is never read).
const COMMON_FIELDS = ['@timestamp', 'type', 't-pot_ip_ext', 't-pot_ip_int', 'geoip.country_code2', 'geoip.asn', 'geoip.as_org'];

function isCursor(value: JsonValue | undefined): value is EsCursor & JsonValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value['ts'] === 'number' && typeof value['from'] === 'number' && Array.isArray(value['seen']);
}

/** The bool query selecting the enabled types' documents in [from, until). */
export function selectionQuery(honeypots: readonly Honeypot[], from: number, until: number): Record<string, unknown> {
  const whole = honeypots.filter((h) => h.esSelect === undefined).map((h) => h.type);
  const partial = honeypots.flatMap((h) => (h.esSelect !== undefined && h.esSelect !== 'none' ? [{ type: h.type, ...h.esSelect }] : []));
  const should: Record<string, unknown>[] = [];
  if (whole.length > 0) should.push({ terms: { 'type.keyword': whole } });
  for (const p of partial) {
    should.push({ bool: { filter: [{ term: { 'type.keyword': p.type } }, { terms: { [`${p.field}.keyword`]: p.values } }] } });
  }
  return {
    bool: {
      filter: [
        { range: { '@timestamp': { gte: new Date(from).toISOString(), lt: new Date(until).toISOString(), format: 'strict_date_optional_time' } } },
        { bool: { should, minimum_should_match: 1 } },
      ],
    },
  };
}

/** `_source` includes: what the enabled normalizers read, nothing else. */
export function sourceFields(honeypots: readonly Honeypot[]): string[] {
  return [...new Set([...COMMON_FIELDS, ...honeypots.flatMap((h) => h.fields)])].sort();
}

/**
 * The point in time is gone (its keep_alive passed between two pages, e.g. while a slow MISP took the
 * previous one, or ES restarted): ES answers 404, `search_context_missing_exception` at the root.
 */
function isPitMissing(error: unknown): boolean {
  return error instanceof Tpot2MispError && error.status === 404 && /search_context_missing_exception|search_phase_execution_exception/.test(error.message);
}

/** Points in time opened again in one run without a page read in between: more means something else is wrong. */
const MAX_PIT_REOPENS_WITHOUT_PROGRESS = 2;

function timestampOf(hit: EsHit): number | undefined {
  const sortValue = hit.sort?.[0];
  if (typeof sortValue === 'number') return sortValue;
  const raw = hit._source?.['@timestamp'];
  const parsed = typeof raw === 'string' ? Date.parse(raw) : NaN;
  return Number.isNaN(parsed) ? undefined : parsed;
}

export function createElasticsearchSource(options: ElasticsearchSourceOptions): Source {
  const index = options.index ?? DEFAULT_INDEX;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const overlap = options.overlapMs ?? DEFAULT_OVERLAP_MS;
  const now = options.now ?? Date.now;
  const explicit = options.since !== undefined || options.until !== undefined;
  const base = `elasticsearch:${displayUrl(options.url)}${index === DEFAULT_INDEX ? '' : `#${index}`}`;
  // A backfill keeps its own checkpoint, so it neither rewinds nor skips the regular runs.
  const name = explicit
    ? `${base}|${options.since === undefined ? '' : new Date(options.since).toISOString()}..${options.until === undefined ? '' : new Date(options.until).toISOString()}`
    : base;
  const selected = options.honeypots.filter((h) => h.esSelect !== 'none');
  let pitId: string | undefined;

  async function* batches(resume: JsonValue | undefined): AsyncIterable<SourceBatch> {
    options.onConnected?.(await options.client.info());
    if (selected.length === 0) return;
    const until = options.until ?? now();
    const cursor = isCursor(resume) ? resume : undefined;
    const from = cursor !== undefined ? cursor.from : options.since ?? until - options.lookbackDays * 86_400_000;
    if (from >= until) return;
    const alreadySeen = new Set(cursor?.seen ?? []);
    // Ids handed over from `windowStart` on, ascending by time: the next cursor's `seen`.
    let recent: { ts: number; id: string }[] = [];
    let windowStart = from;
    let lastTs = cursor?.ts ?? from;

    pitId = await options.client.openPit(index, PIT_KEEP_ALIVE);
    let query = selectionQuery(selected, from, until);
    const includes = sourceFields(selected);
    let searchAfter: readonly unknown[] | undefined;
    let read = 0;
    let total: number | undefined;
    // A lost point in time is opened again and the read resumes at the last @timestamp read (`_shard_doc`
    // belongs to the old point in time): the ids read at that very timestamp are skipped a second time.
    let lastReadTs: number | undefined;
    let readAtLastTs = new Set<string>();
    let resumedAt: number | undefined;
    let reopens = 0;
    const searchPage = (): Promise<EsSearchResponse> =>
      options.client.search({
        size: pageSize,
        pit: { id: pitId!, keep_alive: PIT_KEEP_ALIVE },
        query,
        sort: [{ '@timestamp': { order: 'asc', unmapped_type: 'date' } }, { _shard_doc: 'asc' }],
        _source: { includes },
        track_total_hits: read === 0 && searchAfter === undefined,
        ...(searchAfter !== undefined && { search_after: searchAfter }),
      });
    // The next page, asked for before the current one is handed over: Elasticsearch and the network work while the
    // pipeline does (a whole page's processing of waiting saved per page).
    let prefetched: Promise<EsSearchResponse> | undefined;
    for (;;) {
      let response: EsSearchResponse;
      try {
        response = await (prefetched ?? searchPage());
        prefetched = undefined;
      } catch (error) {
        prefetched = undefined;
        if (!isPitMissing(error) || reopens >= MAX_PIT_REOPENS_WITHOUT_PROGRESS) throw error;
        reopens++;
        resumedAt = lastReadTs ?? from;
        pitId = await options.client.openPit(index, PIT_KEEP_ALIVE);
        query = selectionQuery(selected, resumedAt, until);
        searchAfter = undefined;
        continue;
      }
      if (response.pit_id !== undefined) pitId = response.pit_id;
      if (read === 0 && searchAfter === undefined) total = response.hits.total?.value;
      const hits = response.hits.hits;
      if (hits.length === 0) break;
      reopens = 0;
      const records: SourceRecord[] = [];
      for (const hit of hits) {
        const ts = timestampOf(hit);
        if (resumedAt !== undefined && ts === resumedAt && readAtLastTs.has(hit._id)) continue; // read before the point in time was lost
        const repeat = alreadySeen.has(hit._id);
        if (!repeat) records.push(hit._source !== undefined ? { doc: hit._source as Doc } : { skip: 'malformed' });
        if (ts === undefined) continue;
        if (ts > lastTs) lastTs = ts;
        if (lastReadTs === undefined || ts > lastReadTs) {
          lastReadTs = ts;
          readAtLastTs = new Set();
        }
        readAtLastTs.add(hit._id);
        recent.push({ ts, id: hit._id });
      }
      read += hits.length;
      options.onProgress?.(read, total);
      // Remember only what the next run's overlap reads again; if that is too much, start it later instead.
      windowStart = Math.max(windowStart, lastTs - overlap);
      if (recent.length > MAX_SEEN_IDS) windowStart = Math.max(windowStart, recent[recent.length - MAX_SEEN_IDS - 1]!.ts + 1);
      if (recent.length > 0 && recent[0]!.ts < windowStart) recent = recent.filter((r) => r.ts >= windowStart);
      const next: EsCursor = { ts: lastTs, from: windowStart, seen: recent.map((r) => r.id) };
      searchAfter = hits.at(-1)!.sort;
      const more = searchAfter !== undefined && hits.length >= pageSize;
      if (more) {
        prefetched = searchPage();
        // Awaited on the next turn; if the reader stops first (SIGTERM), its failure must not count as unhandled.
        prefetched.catch(() => undefined);
      }
      yield { records, cursor: next as unknown as JsonValue };
      if (!more) break;
    }
  }

  return {
    name,
    batches,
    async close() {
      if (pitId !== undefined) await options.client.closePit(pitId);
      pitId = undefined;
      await options.client.close();
    },
  };
}
