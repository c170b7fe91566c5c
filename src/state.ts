// The state store (SQLite, WAL): source checkpoints, the ledger of what each sink already holds, and the
// outbox where realtime messages are kept safe the moment they arrive (HPFEEDS has no replay).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Tpot2MispError } from './errors.js';
import type { DeliveredItem, EventChanges, Ledger, TagsOn } from './misp/build.js';
import type { JsonValue } from './sources/source.js';
import type { Tally } from './tally.js';
import { utcDay } from './time.js';

// 2: delivered_event.changed_at / published_at (the publishing policy). 3: enrichment_queue / enrichment_target.
// 4: delivered_event.deleted_at (events deleted in MISP, which an older version would keep failing to update).
// 5: delivered_item.deleted (an attribute delivered deleted: only then does an edit send `deleted`, so an analyst's
// soft deletion lasts).
const SCHEMA_VERSION = 5;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (
  source TEXT PRIMARY KEY,
  cursor TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS delivered_event (
  sink TEXT NOT NULL,
  uuid TEXT NOT NULL,
  honeypot TEXT NOT NULL,
  day TEXT NOT NULL,
  changed_at INTEGER NOT NULL DEFAULT 0,
  published_at INTEGER,
  -- When the sink turned out no longer to hold the event and to refuse it (an analyst deleted it in MISP).
  deleted_at INTEGER,
  PRIMARY KEY (sink, uuid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS delivered_item (
  sink TEXT NOT NULL,
  uuid TEXT NOT NULL,
  event_uuid TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  tally TEXT NOT NULL,
  -- JSON {"on": attribute uuid, "names": [...]}: the enrichment tags delivered, to remove them when a verdict changes.
  tags TEXT,
  -- 1: delivered as deleted (a benign scanner removed): a later delivery restores it. NULL: delivered as present.
  deleted INTEGER,
  PRIMARY KEY (sink, uuid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at INTEGER NOT NULL,
  channel TEXT NOT NULL,
  publisher TEXT NOT NULL,
  payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS enrichment_cache (
  provider TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  answer TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (provider, kind, value)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS enrichment_queue (
  provider TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  activity INTEGER NOT NULL,
  queued_at INTEGER NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (provider, kind, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS enrichment_queue_order ON enrichment_queue (provider, activity DESC, queued_at, value);
CREATE INDEX IF NOT EXISTS enrichment_queue_subject ON enrichment_queue (kind, value);
CREATE INDEX IF NOT EXISTS enrichment_queue_seen ON enrichment_queue (seen_at);
CREATE INDEX IF NOT EXISTS enrichment_cache_subject ON enrichment_cache (kind, value);
CREATE TABLE IF NOT EXISTS enrichment_target (
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  honeypot TEXT NOT NULL,
  day TEXT NOT NULL,
  indicator TEXT NOT NULL,
  -- 1: a provider answered since the last re-delivery of this indicator (survives a crash in between).
  answered INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (kind, value, honeypot, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS enrichment_target_answered ON enrichment_target (answered, kind, value);
CREATE TABLE IF NOT EXISTS enrichment_quota (
  provider TEXT PRIMARY KEY,
  day TEXT NOT NULL,
  used INTEGER NOT NULL,
  paused_until INTEGER NOT NULL DEFAULT 0,
  recent TEXT NOT NULL DEFAULT '[]'
) WITHOUT ROWID;
`;

export interface OutboxMessage {
  readonly id: number;
  readonly receivedAt: number;
  readonly channel: string;
  readonly publisher: string;
  readonly payload: Buffer;
}

/** A daily event the sink no longer holds and refuses: an analyst deleted it in MISP. */
export interface DeletedEvent {
  readonly uuid: string;
  readonly honeypot: string;
  readonly day: string;
}

/** A daily event the sink holds that is due to be published. */
export interface PublishCandidate {
  readonly uuid: string;
  readonly honeypot: string;
  readonly day: string;
}

/** What the ledger keeps of one event's delivered changes (the MISP JSON itself is not needed any more). */
export interface DeliveredChanges {
  readonly eventUuid: string;
  readonly honeypot: string;
  readonly day: string;
  readonly items: readonly { readonly uuid: string; readonly fingerprint: string; readonly tally: Tally; readonly tags?: TagsOn; readonly deleted?: true }[];
}

export function deliveredOf(changes: EventChanges): DeliveredChanges {
  return {
    eventUuid: changes.event.uuid,
    honeypot: changes.honeypot,
    day: changes.day,
    items: [...changes.attributes, ...changes.objects].map((c) => ({
      uuid: c.item.uuid,
      fingerprint: c.fingerprint,
      tally: c.tally,
      ...(c.tags !== undefined && { tags: c.tags }),
      ...(c.item.deleted === true && { deleted: true as const }),
    })),
  };
}

/** One cached enrichment answer (the answer is JSON written by src/enrichment/cache.ts). */
export interface EnrichmentCacheRow {
  readonly answer: string;
  readonly fetchedAt: number;
  readonly expiresAt: number;
}

/** A provider's daily request count (for UTC day `day`), the time until which it is paused, and its last minute. */
export interface EnrichmentQuotaRow {
  readonly day: string;
  readonly used: number;
  readonly pausedUntil: number;
  /** Start times (ms) of the requests of the last minute: a restart must not reset the per-minute budget. */
  readonly recent: readonly number[];
}

/** An indicator waiting for a provider's answer; the most active go first. */
export interface EnrichmentQueueRow {
  readonly kind: string;
  readonly value: string;
  readonly activity: number;
}

/** Where an indicator waiting for enrichment sits: its daily event and the indicator itself (JSON), to re-deliver it. */
export interface EnrichmentTargetRow {
  readonly kind: string;
  readonly value: string;
  readonly honeypot: string;
  readonly day: string;
  readonly indicator: string;
}

/** What a flush noted for enrichment: queue rows (per provider) and where the indicators sit. */
export interface EnrichmentNotes {
  readonly queue: readonly (EnrichmentQueueRow & { readonly provider: string })[];
  readonly targets: readonly EnrichmentTargetRow[];
  /** The enrichment clock's time (ms): when these were queued or seen. */
  readonly now: number;
}

export interface CheckpointUpdate {
  readonly source: string;
  readonly cursor: JsonValue;
}

/** The ledger's record of enrichment tags (our own JSON; a damaged row only forgets them). */
function parseTags(text: string): TagsOn | undefined {
  try {
    const value = JSON.parse(text) as Partial<TagsOn> | null;
    if (value !== null && typeof value.on === 'string' && Array.isArray(value.names) && value.names.every((n) => typeof n === 'string')) return { on: value.on, names: value.names };
  } catch {
    // fall through
  }
  return undefined;
}

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set(db.prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)').all(table).map((c) => c.name));
}

/** Brings a database written by an older schema up to date (columns added, nothing rewritten). */
function migrate(db: Database.Database): void {
  const columns = columnsOf(db, 'delivered_event');
  if (!columns.has('changed_at')) db.exec('ALTER TABLE delivered_event ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0');
  if (!columns.has('published_at')) db.exec('ALTER TABLE delivered_event ADD COLUMN published_at INTEGER');
  if (!columns.has('deleted_at')) db.exec('ALTER TABLE delivered_event ADD COLUMN deleted_at INTEGER');
  const itemColumns = columnsOf(db, 'delivered_item');
  if (!itemColumns.has('tags')) db.exec('ALTER TABLE delivered_item ADD COLUMN tags TEXT');
  if (!itemColumns.has('deleted')) db.exec('ALTER TABLE delivered_item ADD COLUMN deleted INTEGER');
  if (!columnsOf(db, 'enrichment_quota').has('recent')) db.exec("ALTER TABLE enrichment_quota ADD COLUMN recent TEXT NOT NULL DEFAULT '[]'");
}

export class StateStore {
  readonly #db: Database.Database;
  readonly #getCheckpoint: Database.Statement<[string], { cursor: string }>;
  readonly #putCheckpoint: Database.Statement<[string, string, number]>;
  readonly #getEvent: Database.Statement<[string, string], { uuid: string }>;
  readonly #putEvent: Database.Statement<[string, string, string, string, number]>;
  readonly #duePublish: Database.Statement<[string, string, number], PublishCandidate>;
  readonly #markPublished: Database.Statement<[number, string, string]>;
  readonly #isDeleted: Database.Statement<[string, string], { n: number }>;
  readonly #newestDay: Database.Statement<[], { day: string | null }>;
  readonly #getMeta: Database.Statement<[string], { value: string }>;
  readonly #putMeta: Database.Statement<[string, string]>;
  readonly #forgetItems: Database.Statement<[string]>;
  readonly #markDeleted: Database.Statement<[string, string, string, string, number, number]>;
  readonly #getItem: Database.Statement<[string, string], { fingerprint: string; tally: string; tags: string | null; deleted: number | null }>;
  readonly #putItem: Database.Statement<[string, string, string, string, string, string | null, number | null]>;
  readonly #appendOutbox: Database.Statement<[number, string, string, Buffer]>;
  readonly #readOutbox: Database.Statement<[number, number], { id: number; received_at: number; channel: string; publisher: string; payload: Buffer }>;
  readonly #pruneOutbox: Database.Statement<[number]>;
  readonly #countOutbox: Database.Statement<[], { n: number }>;
  readonly #getEnrichment: Database.Statement<[string, string, string], { answer: string; fetched_at: number; expires_at: number }>;
  readonly #putEnrichment: Database.Statement<[string, string, string, string, number, number]>;
  readonly #purgeEnrichment: Database.Statement<[number]>;
  readonly #getQuota: Database.Statement<[string], { day: string; used: number; paused_until: number; recent: string }>;
  readonly #enqueue: Database.Statement<[string, string, string, number, number, number]>;
  readonly #pruneQueue: Database.Statement<[number]>;
  readonly #pruneTargets: Database.Statement<[]>;
  readonly #putTarget: Database.Statement<[string, string, string, string, string]>;
  readonly #nextQueued: Database.Statement<[string, number], EnrichmentQueueRow>;
  readonly #dequeue: Database.Statement<[string, string, string]>;
  readonly #queuedFor: Database.Statement<[string, string], { n: number }>;
  readonly #targets: Database.Statement<[string, string], EnrichmentTargetRow>;
  readonly #dropTargets: Database.Statement<[string, string]>;
  readonly #queueSize: Database.Statement<[string], { n: number }>;
  readonly #answeredSubjects: Database.Statement<[number], { kind: string; value: string }>;
  readonly #markAnswered: Database.Statement<[string, string]>;
  readonly #clearAnswered: Database.Statement<[string, string]>;
  readonly #putQuota: Database.Statement<[string, string, number, number, string]>;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#getCheckpoint = db.prepare('SELECT cursor FROM checkpoint WHERE source = ?');
    this.#putCheckpoint = db.prepare(
      'INSERT INTO checkpoint (source, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at',
    );
    this.#getEvent = db.prepare('SELECT uuid FROM delivered_event WHERE sink = ? AND uuid = ?');
    this.#putEvent = db.prepare(
      'INSERT INTO delivered_event (sink, uuid, honeypot, day, changed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(sink, uuid) DO UPDATE SET changed_at = excluded.changed_at',
    );
    this.#duePublish = db.prepare(
      'SELECT uuid, honeypot, day FROM delivered_event WHERE sink = ? AND day < ? AND changed_at <= ? AND (published_at IS NULL OR published_at < changed_at) AND deleted_at IS NULL ORDER BY day, honeypot',
    );
    this.#markPublished = db.prepare('UPDATE delivered_event SET published_at = ? WHERE sink = ? AND uuid = ?');
    this.#newestDay = db.prepare('SELECT max(day) AS day FROM delivered_event');
    this.#getMeta = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.#putMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    // No index on event_uuid (it would cost every commit): one scan of the table, once a day at most.
    this.#forgetItems = db.prepare('DELETE FROM delivered_item WHERE event_uuid IN (SELECT uuid FROM delivered_event WHERE day < ?)');
    this.#isDeleted = db.prepare('SELECT count(*) AS n FROM delivered_event WHERE sink = ? AND uuid = ? AND deleted_at IS NOT NULL');
    this.#markDeleted = db.prepare(
      'INSERT INTO delivered_event (sink, uuid, honeypot, day, changed_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(sink, uuid) DO UPDATE SET deleted_at = excluded.deleted_at',
    );
    this.#getItem = db.prepare('SELECT fingerprint, tally, tags, deleted FROM delivered_item WHERE sink = ? AND uuid = ?');
    this.#appendOutbox = db.prepare('INSERT INTO outbox (received_at, channel, publisher, payload) VALUES (?, ?, ?, ?)');
    this.#readOutbox = db.prepare('SELECT id, received_at, channel, publisher, payload FROM outbox WHERE id > ? ORDER BY id LIMIT ?');
    this.#pruneOutbox = db.prepare('DELETE FROM outbox WHERE id <= ?');
    this.#countOutbox = db.prepare('SELECT count(*) AS n FROM outbox');
    this.#putItem = db.prepare(
      'INSERT INTO delivered_item (sink, uuid, event_uuid, fingerprint, tally, tags, deleted) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sink, uuid) DO UPDATE SET fingerprint = excluded.fingerprint, tally = excluded.tally, tags = excluded.tags, deleted = excluded.deleted',
    );
    this.#getEnrichment = db.prepare('SELECT answer, fetched_at, expires_at FROM enrichment_cache WHERE provider = ? AND kind = ? AND value = ?');
    this.#putEnrichment = db.prepare(
      'INSERT INTO enrichment_cache (provider, kind, value, answer, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(provider, kind, value) DO UPDATE SET answer = excluded.answer, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at',
    );
    this.#purgeEnrichment = db.prepare('DELETE FROM enrichment_cache WHERE expires_at <= ?');
    this.#enqueue = db.prepare(
      'INSERT INTO enrichment_queue (provider, kind, value, activity, queued_at, seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(provider, kind, value) DO UPDATE SET activity = activity + excluded.activity, seen_at = excluded.seen_at',
    );
    this.#pruneQueue = db.prepare('DELETE FROM enrichment_queue WHERE seen_at < ?');
    this.#pruneTargets = db.prepare(
      'DELETE FROM enrichment_target WHERE NOT EXISTS (SELECT 1 FROM enrichment_queue q WHERE q.kind = enrichment_target.kind AND q.value = enrichment_target.value) AND NOT EXISTS (SELECT 1 FROM enrichment_cache c WHERE c.kind = enrichment_target.kind AND c.value = enrichment_target.value)',
    );
    this.#putTarget = db.prepare('INSERT OR IGNORE INTO enrichment_target (kind, value, honeypot, day, indicator) VALUES (?, ?, ?, ?, ?)');
    this.#nextQueued = db.prepare('SELECT kind, value, activity FROM enrichment_queue WHERE provider = ? ORDER BY activity DESC, queued_at, value LIMIT ?');
    this.#dequeue = db.prepare('DELETE FROM enrichment_queue WHERE provider = ? AND kind = ? AND value = ?');
    this.#queuedFor = db.prepare('SELECT count(*) AS n FROM enrichment_queue WHERE kind = ? AND value = ?');
    this.#targets = db.prepare('SELECT kind, value, honeypot, day, indicator FROM enrichment_target WHERE kind = ? AND value = ? ORDER BY day, honeypot');
    this.#dropTargets = db.prepare('DELETE FROM enrichment_target WHERE kind = ? AND value = ?');
    this.#answeredSubjects = db.prepare('SELECT DISTINCT kind, value FROM enrichment_target WHERE answered = 1 LIMIT ?');
    this.#markAnswered = db.prepare('UPDATE enrichment_target SET answered = 1 WHERE kind = ? AND value = ?');
    this.#clearAnswered = db.prepare('UPDATE enrichment_target SET answered = 0 WHERE kind = ? AND value = ?');
    this.#queueSize = db.prepare('SELECT count(*) AS n FROM enrichment_queue WHERE provider = ?');
    this.#getQuota = db.prepare('SELECT day, used, paused_until, recent FROM enrichment_quota WHERE provider = ?');
    this.#putQuota = db.prepare(
      'INSERT INTO enrichment_quota (provider, day, used, paused_until, recent) VALUES (?, ?, ?, ?, ?) ON CONFLICT(provider) DO UPDATE SET day = excluded.day, used = excluded.used, paused_until = excluded.paused_until, recent = excluded.recent',
    );
  }

  /** The cached enrichment answer of (provider, kind, value), expired or not; the caller checks `expiresAt`. */
  enrichmentCached(provider: string, kind: string, value: string): EnrichmentCacheRow | undefined {
    const row = this.#getEnrichment.get(provider, kind, value);
    return row === undefined ? undefined : { answer: row.answer, fetchedAt: row.fetched_at, expiresAt: row.expires_at };
  }

  /** Stores (or replaces) one enrichment answer. */
  putEnrichmentCached(provider: string, kind: string, value: string, row: EnrichmentCacheRow): void {
    this.#putEnrichment.run(provider, kind, value, row.answer, row.fetchedAt, row.expiresAt);
  }

  /** Deletes answers that expired at or before `before` (ms); returns how many. */
  purgeEnrichmentCache(before: number): number {
    return this.#purgeEnrichment.run(before).changes;
  }

  /** Queues indicators for providers (activity adds up over runs) and records where each one sits. */
  #enqueueEnrichment(notes: EnrichmentNotes): void {
    for (const row of notes.queue) this.#enqueue.run(row.provider, row.kind, row.value, row.activity, notes.now, notes.now);
    for (const t of notes.targets) this.#putTarget.run(t.kind, t.value, t.honeypot, t.day, t.indicator);
  }

  /**
   * Forgets queued indicators not seen since `seenBefore` (ms), and targets nothing will answer for any more:
   * when the quota is far below the inflow, the queue must not grow for ever.
   */
  pruneEnrichmentQueue(seenBefore: number): number {
    let removed = 0;
    this.#db.transaction(() => {
      removed = this.#pruneQueue.run(seenBefore).changes;
      this.#pruneTargets.run();
    })();
    return removed;
  }

  /** The `limit` most active indicators waiting for `provider`. */
  nextEnrichment(provider: string, limit: number): EnrichmentQueueRow[] {
    return this.#nextQueued.all(provider, limit);
  }

  enrichmentQueueSize(provider: string): number {
    return this.#queueSize.get(provider)?.n ?? 0;
  }

  /** Where the indicator (kind, value) sits in events, for re-delivery with its enrichment. */
  enrichmentTargets(kind: string, value: string): EnrichmentTargetRow[] {
    return this.#targets.all(kind, value);
  }

  /**
   * Takes (provider, kind, value) off the queue, its answer being in the cache, and marks where the indicator
   * sits for re-delivery — in one transaction, so a crash cannot lose the re-delivery.
   */
  answerEnrichment(provider: string, kind: string, value: string): void {
    this.#db.transaction(() => {
      this.#dequeue.run(provider, kind, value);
      this.#markAnswered.run(kind, value);
    })();
  }

  /** Takes (provider, kind, value) off the queue without an answer (the provider will never have one). */
  dropEnrichment(provider: string, kind: string, value: string): void {
    this.#dequeue.run(provider, kind, value);
  }

  /** Up to `limit` indicators answered since their last re-delivery (this pass's, or an interrupted run's). */
  answeredEnrichmentSubjects(limit: number): { kind: string; value: string }[] {
    return this.#answeredSubjects.all(limit);
  }

  /**
   * After re-delivery: the indicators' targets are no longer due; those no provider waits for any more are
   * forgotten.
   */
  releaseEnrichmentTargets(subjects: readonly { readonly kind: string; readonly value: string }[]): void {
    if (subjects.length === 0) return;
    this.#db.transaction(() => {
      for (const s of subjects) {
        if ((this.#queuedFor.get(s.kind, s.value)?.n ?? 0) === 0) this.#dropTargets.run(s.kind, s.value);
        else this.#clearAnswered.run(s.kind, s.value);
      }
    })();
  }

  /** A provider's persisted daily count and pause. */
  enrichmentQuota(provider: string): EnrichmentQuotaRow | undefined {
    const row = this.#getQuota.get(provider);
    if (row === undefined) return undefined;
    let recent: number[] = [];
    try {
      const parsed = JSON.parse(row.recent) as unknown;
      if (Array.isArray(parsed)) recent = parsed.filter((t): t is number => typeof t === 'number' && Number.isFinite(t));
    } catch {
      // A damaged window only forgets the last minute.
    }
    return { day: row.day, used: row.used, pausedUntil: row.paused_until, recent };
  }

  putEnrichmentQuota(provider: string, row: EnrichmentQuotaRow): void {
    this.#putQuota.run(provider, row.day, row.used, row.pausedUntil, JSON.stringify(row.recent));
  }

  /**
   * Keeps received messages safe, in one transaction (one disk sync for all: messages that arrive together are
   * written together); durable once this returns. Their ids order the outbox.
   */
  appendOutbox(messages: readonly Omit<OutboxMessage, 'id'>[]): void {
    this.#db.transaction(() => {
      for (const m of messages) this.#appendOutbox.run(m.receivedAt, m.channel, m.publisher, m.payload);
    })();
  }

  /** Up to `limit` messages after `afterId`, oldest first. */
  outboxAfter(afterId: number, limit: number): OutboxMessage[] {
    return this.#readOutbox.all(afterId, limit).map((r) => ({ id: r.id, receivedAt: r.received_at, channel: r.channel, publisher: r.publisher, payload: r.payload }));
  }

  /** Forgets messages whose content the sink has accepted. */
  pruneOutbox(uptoId: number): void {
    this.#pruneOutbox.run(uptoId);
  }

  get outboxSize(): number {
    return this.#countOutbox.get()?.n ?? 0;
  }

  /** Opens (creating if needed) the state database; its -wal/-shm files live beside it. */
  static open(path: string): StateStore {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      // FULL: a commit is on disk when it returns, even across a power loss or an OS crash. HPFEEDS cannot replay,
      // so the outbox must be; the other commits are one per flush. (NORMAL may lose the last commits there.)
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      // SQLite's own default page cache (2 MB; better-sqlite3 builds with 16 MB): lookups by UUID touch a few pages
      // each, and the operating system caches the file anyway. Measured on 500,000 documents: about 15 MB less peak
      // RSS, no measurable time.
      db.pragma('cache_size = -2000');
      db.exec(SCHEMA);
      migrate(db);
      const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get();
      if (version !== undefined && Number(version.value) > SCHEMA_VERSION) {
        db.close();
        throw new Tpot2MispError('T2M_STATE_CORRUPT', `state database ${path} was written by a newer tpot2misp (schema ${version.value})`, {
          hint: 'upgrade tpot2misp, or point STATE_DB at a new file',
        });
      }
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(SCHEMA_VERSION));
      return new StateStore(db);
    } catch (error) {
      if (error instanceof Tpot2MispError) throw error;
      throw new Tpot2MispError('T2M_STATE_CORRUPT', `cannot open the state database ${path}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check that STATE_DB points to a writable file; if the file is damaged, move it away (MISP content converges without it)',
      });
    }
  }

  checkpoint(source: string): JsonValue | undefined {
    const row = this.#getCheckpoint.get(source);
    return row === undefined ? undefined : (JSON.parse(row.cursor) as JsonValue);
  }

  /** What `sink` holds of the event `eventUuid`. Lookups hit SQLite one indicator at a time (fast, bounded memory). */
  ledger(sink: string, eventUuid: string): Ledger {
    const eventDelivered = this.#getEvent.get(sink, eventUuid) !== undefined;
    return {
      eventDelivered,
      item: (uuid: string): DeliveredItem | undefined => {
        // Items are committed with their event: an event never delivered has none (a first backfill skips every lookup).
        if (!eventDelivered) return undefined;
        const row = this.#getItem.get(sink, uuid);
        if (row === undefined) return undefined;
        const tags = row.tags === null ? undefined : parseTags(row.tags);
        return { fingerprint: row.fingerprint, tally: JSON.parse(row.tally) as Tally, ...(tags !== undefined && { tags }), ...(row.deleted === 1 && { deleted: true as const }) };
      },
    };
  }

  /**
   * Records, in one transaction, that `sink` now holds these changes and that the source may resume
   * after `checkpoint`. Called only after the sink accepted everything.
   */
  commit(sink: string, delivered: readonly DeliveredChanges[], checkpoint?: CheckpointUpdate, now = Date.now(), enrichment?: EnrichmentNotes, deleted: readonly DeletedEvent[] = []): void {
    this.#db.transaction(() => {
      for (const event of deleted) this.#markDeleted.run(sink, event.uuid, event.honeypot, event.day, now, now);
      // What waits for enrichment moves together with the checkpoint: a crash cannot skip queuing what was read.
      if (enrichment !== undefined) this.#enqueueEnrichment(enrichment);
      // Any change restarts the quiet period: MISP unpublishes an event when it changes.
      for (const changes of delivered) this.#putEvent.run(sink, changes.eventUuid, changes.honeypot, changes.day, now);
      // In key order, B-tree pages are filled one after the other instead of at random: half the cost of a large commit.
      // The sort is stable, so were an item there twice its last state would still win.
      const rows = delivered.flatMap((changes) => changes.items.map((item) => ({ eventUuid: changes.eventUuid, item })));
      rows.sort((a, b) => (a.item.uuid < b.item.uuid ? -1 : a.item.uuid > b.item.uuid ? 1 : 0));
      for (const { eventUuid, item } of rows) {
        this.#putItem.run(sink, item.uuid, eventUuid, item.fingerprint, JSON.stringify(item.tally), item.tags === undefined ? null : JSON.stringify(item.tags), item.deleted === true ? 1 : null);
      }
      if (checkpoint !== undefined) this.#putCheckpoint.run(checkpoint.source, JSON.stringify(checkpoint.cursor), Date.now());
    })();
  }

  /**
   * Events of days before `today` that changed at or before `quietSince` and were not published since
   * their last change.
   */
  duePublish(sink: string, today: string, quietSince: number): PublishCandidate[] {
    return this.#duePublish.all(sink, today, quietSince);
  }

  markPublished(sink: string, uuid: string, at: number): void {
    this.#markPublished.run(at, sink, uuid);
  }

  /**
   * Forgets what the sinks hold of the events more than `days` before the newest day delivered: their item rows, the
   * bulk of the file (the event rows stay, for publishing and deletions). Cheap when done already for that day.
   * Returns how many items were forgotten, and from which day on they are kept. A day after `today` does not count
   * (a sensor whose clock jumped years ahead must not make the ledger forget everything).
   */
  forgetOldItems(days: number, today = utcDay(Date.now())): { forgotten: number; keptFrom?: string } {
    const newestDelivered = this.#newestDay.get()?.day;
    if (newestDelivered === null || newestDelivered === undefined || days <= 0) return { forgotten: 0 };
    const newest = newestDelivered < today ? newestDelivered : today;
    const keptFrom = utcDay(Date.parse(`${newest}T00:00:00Z`) - days * 86_400_000);
    const done = this.#getMeta.get('items_forgotten_before')?.value;
    if (done !== undefined && done >= keptFrom) return { forgotten: 0, keptFrom };
    const forgotten = this.#db.transaction(() => {
      const { changes } = this.#forgetItems.run(keptFrom);
      this.#putMeta.run('items_forgotten_before', keptFrom);
      return changes;
    })();
    return { forgotten, keptFrom };
  }

  /** Whether `sink` refused this event as deleted (an analyst deleted it in MISP): nothing more is sent to it. */
  isDeleted(sink: string, uuid: string): boolean {
    return (this.#isDeleted.get(sink, uuid)?.n ?? 0) > 0;
  }

  /** Records that `sink` no longer holds the event and refuses it (outside a delivery: the publisher learnt it). */
  markDeleted(sink: string, event: DeletedEvent, at = Date.now()): void {
    this.#markDeleted.run(sink, event.uuid, event.honeypot, event.day, at, at);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
