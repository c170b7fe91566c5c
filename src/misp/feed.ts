// MISP feed sink: a directory any MISP can pull ("MISP Feed" format): manifest.json, <uuid>.json, hashes.csv.
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tpot2MispError } from '../errors.js';
import type { EventChanges } from './build.js';
import type { MispAttribute, MispObject, MispOrg, MispTag } from './model.js';
import type { EventDelivery, Sink } from './sink.js';

interface FeedEvent {
  uuid: string;
  info: string;
  date: string;
  threat_level_id: string;
  analysis: string;
  timestamp: string;
  publish_timestamp: string;
  published: boolean;
  Orgc: MispOrg;
  Tag: MispTag[];
  Attribute: FeedAttribute[];
  Object: FeedObject[];
}

type FeedAttribute = Omit<MispAttribute, 'distribution'>;
type FeedObject = Omit<MispObject, 'distribution' | 'Attribute'> & { Attribute: FeedAttribute[] };

type Manifest = Record<string, { Orgc: MispOrg; Tag: MispTag[]; info: string; date: string; analysis: string; threat_level_id: string; timestamp: string }>;

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Tpot2MispError('T2M_FEED_IO', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Parses our own JSON; undefined when it is not valid JSON. */
function parseOwnJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The event of a `<uuid>.json` file we wrote, or undefined when the file is damaged. */
function parseEventFile(text: string, uuid: string): FeedEvent | undefined {
  const parsed = parseOwnJson(text);
  if (!isRecord(parsed) || !isRecord(parsed.Event)) return undefined;
  const event = parsed.Event;
  if (event.uuid !== uuid || !Array.isArray(event.Attribute) || !Array.isArray(event.Object) || !Array.isArray(event.Tag)) return undefined;
  for (const key of ['info', 'date', 'threat_level_id', 'analysis', 'timestamp'] as const) if (typeof event[key] !== 'string') return undefined;
  if (!isRecord(event.Orgc) || typeof event.Orgc.name !== 'string' || typeof event.Orgc.uuid !== 'string') return undefined;
  return event as unknown as FeedEvent;
}

/** The JSON of an event without its items and timestamp: what an edit of the event's own fields changes. */
function headerOf(event: FeedEvent): string {
  const { Attribute: _attributes, Object: _objects, timestamp: _timestamp, ...header } = event;
  return JSON.stringify(header);
}

/** A damaged event file cannot be written again from the state database alone: it only remembers what it delivered. */
const RESTORE_HINT =
  'restore the file from a backup of the feed directory; moving only the file away loses its earlier items (the state database records them as delivered, so the next run writes only what changed); without a backup see docs/troubleshooting.md, "Feed directory"';

const EVENT_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/i;

function manifestEntry(event: FeedEvent): Manifest[string] {
  return {
    Orgc: { name: event.Orgc.name, uuid: event.Orgc.uuid },
    Tag: event.Tag,
    info: event.info,
    date: event.date,
    analysis: event.analysis,
    threat_level_id: event.threat_level_id,
    timestamp: event.timestamp,
  };
}

/** Unix seconds as MISP's string, from whatever a file held (garbage counts as 0). */
function seconds(value: string | undefined): number {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? Math.floor(number) : 0;
}

/** The JSON of an item without its timestamps (an object's attributes' too): what the item says, not when. */
function contentOf(item: FeedAttribute | FeedObject): string {
  return JSON.stringify(item, (key, value: unknown) => (key === 'timestamp' ? undefined : value));
}

// Characters gathered before each write when a file comes in pieces.
const WRITE_CHUNK = 1024 * 1024;

/**
 * Writes through a temporary file and a rename, so a crash never leaves a half-written file. Content may come in
 * pieces (an event file, item by item), written about WRITE_CHUNK characters at a time.
 */
function writeAtomically(path: string, content: string | Iterable<string>): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(temporary, 'w');
    try {
      let pending: string[] = [];
      let pendingLength = 0;
      const flush = (): void => {
        const bytes = Buffer.from(pending.join(''), 'utf8');
        for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
        pending = [];
        pendingLength = 0;
      };
      for (const piece of typeof content === 'string' ? [content] : content) {
        pending.push(piece);
        pendingLength += piece.length;
        if (pendingLength >= WRITE_CHUNK) flush();
      }
      flush();
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    throw new Tpot2MispError('T2M_FEED_IO', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * An event file's JSON, `{"Event": …}` and a newline, item by item: a busy day's event is tens of MB of JSON, which
 * built as one string and then encoded would need several times that in memory on top of the event itself.
 */
function* eventFileJson(event: FeedEvent): Generator<string> {
  const { Attribute: attributes, Object: objects, ...header } = event;
  // The header's JSON without its closing braces; the item lists follow, as in the event (they are its last fields).
  yield `${JSON.stringify({ Event: header }).slice(0, -2)},"Attribute":[`;
  for (const [index, attribute] of attributes.entries()) yield `${index === 0 ? '' : ','}${JSON.stringify(attribute)}`;
  yield '],"Object":[';
  for (const [index, object] of objects.entries()) yield `${index === 0 ? '' : ','}${JSON.stringify(object)}`;
  yield ']}}\n';
}

function byUuid<T extends { uuid: string }>(items: readonly T[] | undefined): Map<string, T> {
  return new Map((items ?? []).map((item) => [item.uuid, item]));
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * hashes.csv feeds MISP's correlation cache: `<md5 of the value>,<event uuid>` once per value of an event (object
 * attributes included, deleted ones left out). Composite types ("ip-src|port") are hashed per part, as PyMISP's
 * hash_values does.
 */
function hashedParts(attribute: FeedAttribute): string[] {
  return attribute.type.includes('|') ? attribute.value.split('|') : [attribute.value];
}

/** The values hashes.csv holds a line for, of these attributes (an event's and its objects'). */
function hashedValues(attributes: Iterable<FeedAttribute>): Set<string> {
  const values = new Set<string>();
  for (const attribute of attributes) if (attribute.deleted !== true) for (const part of hashedParts(attribute)) values.add(part);
  return values;
}

/** Whether a file's last byte is not a newline (an append a crash cut short). */
function endsMidLine(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}

/**
 * Feeds carry no distribution: the pulling MISP applies its own feed setting (PyMISP's to_feed drops it too).
 */
function forFeed<T extends { distribution: string }>(item: T): Omit<T, 'distribution'> {
  const { distribution: _dropped, ...rest } = item;
  return rest;
}

function sortAttributes(a: FeedAttribute, b: FeedAttribute): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.uuid < b.uuid ? -1 : 1;
}

export interface FeedSinkOptions {
  /** The clock (ms since the epoch): a change to an event already in the feed is stamped with the write time. */
  readonly now?: () => number;
  /** Told what could not be used while rebuilding a missing or damaged manifest.json (default: a line on stderr). */
  readonly onWarning?: (message: string) => void;
}

export class FeedSink implements Sink {
  readonly id: string;
  readonly #dir: string;
  readonly #org: MispOrg;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  /**
   * manifest.json as the event files written since it was last read make it, written once per delivery
   * (finishDelivery). Rewriting it for every event made a delivery touching N events write it N times (a year of
   * daily events is about 10,000 entries, 5 MB; writing such a feed took 444 s instead of 18 s).
   * Always true to the event files, which are each whole, so that a delivery that failed midway leaves it right for
   * the next one.
   */
  #manifest: { readonly entries: Manifest; readonly text: string | undefined } | undefined;

  constructor(dir: string, org: MispOrg, options: FeedSinkOptions = {}) {
    this.#dir = resolve(dir);
    this.#org = org;
    this.id = `feed:${this.#dir}`;
    this.#now = options.now ?? Date.now;
    this.#warn = options.onWarning ?? ((message) => process.stderr.write(`tpot2misp: warning: ${message}\n`));
  }

  async apply(all: readonly EventChanges[]): Promise<EventDelivery[]> {
    if (all.length === 0) return [];
    try {
      mkdirSync(this.#dir, { recursive: true });
    } catch (error) {
      throw new Tpot2MispError('T2M_FEED_IO', `cannot create the feed directory ${this.#dir}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check MISP_FEED_DIR and its permissions',
      });
    }
    if (this.#manifest === undefined) {
      const text = readOptional(this.#manifestPath);
      this.#manifest = { entries: this.#readManifest(text), text };
    }
    if (!existsSync(this.#hashesPath)) this.#rebuildHashes();
    const manifest = this.#manifest.entries;
    return all.map((changes) => this.#writeEvent(changes, manifest));
  }

  /** Writes manifest.json for the events `apply` wrote; the next delivery reads it afresh. */
  async finishDelivery(): Promise<void> {
    if (this.#manifest === undefined) return;
    const { entries, text } = this.#manifest;
    const sorted = Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1)));
    const newText = `${JSON.stringify(sorted, null, 1)}\n`;
    if (newText !== text) writeAtomically(this.#manifestPath, newText);
    this.#manifest = undefined;
  }

  get #manifestPath(): string {
    return join(this.#dir, 'manifest.json');
  }

  get #hashesPath(): string {
    return join(this.#dir, 'hashes.csv');
  }

  /**
   * hashes.csv grows with the whole feed (a line per value of every event): it is only ever appended to, so that a
   * run costs what it adds, not what months of feed hold. A missing one is rebuilt from the event files, one at a time.
   */
  #rebuildHashes(): void {
    const lines: string[] = [];
    for (const name of this.#eventFileNames()) {
      const uuid = EVENT_FILE.exec(name)![1]!;
      const event = parseEventFile(readOptional(join(this.#dir, name)) ?? '', uuid);
      if (event === undefined) continue;
      for (const value of hashedValues([...event.Attribute, ...event.Object.flatMap((o) => o.Attribute)])) lines.push(`${md5(value)},${uuid}\n`);
    }
    writeAtomically(this.#hashesPath, lines.join(''));
  }

  /** Appends to hashes.csv, on a line of their own even after a write a crash cut short. */
  #appendHashes(lines: readonly string[]): void {
    if (lines.length === 0) return;
    try {
      appendFileSync(this.#hashesPath, (endsMidLine(this.#hashesPath) ? '\n' : '') + lines.join(''));
    } catch (error) {
      throw new Tpot2MispError('T2M_FEED_IO', `cannot write ${this.#hashesPath}: ${(error as Error).message}`, { cause: error });
    }
  }

  #eventFileNames(): string[] {
    try {
      return readdirSync(this.#dir).filter((name) => EVENT_FILE.test(name)).sort();
    } catch (error) {
      throw new Tpot2MispError('T2M_FEED_IO', `cannot list the feed directory ${this.#dir}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check MISP_FEED_DIR and its permissions',
      });
    }
  }

  /**
   * manifest.json, or, when it is missing or damaged, a new one listing every event file of the directory: a
   * manifest of only the events a run touches would hide every other event from the MISPs pulling the feed.
   */
  #readManifest(text: string | undefined): Manifest {
    const parsed = text === undefined ? undefined : parseOwnJson(text);
    if (isRecord(parsed)) return parsed as Manifest;
    const manifest: Manifest = {};
    const skipped: string[] = [];
    // One event file at a time: memory stays bounded by the largest event, as when an event is written.
    for (const name of this.#eventFileNames()) {
      const uuid = EVENT_FILE.exec(name)![1]!;
      let eventText: string | undefined;
      try {
        eventText = readFileSync(join(this.#dir, name), 'utf8');
      } catch {
        eventText = undefined;
      }
      const event = eventText === undefined ? undefined : parseEventFile(eventText, uuid);
      if (event === undefined) skipped.push(name);
      else manifest[uuid] = manifestEntry(event);
    }
    const listed = Object.keys(manifest).length;
    if (text !== undefined || listed > 0 || skipped.length > 0) {
      const why = text === undefined ? 'was missing' : 'was damaged (not a JSON object)';
      this.#warn(`${join(this.#dir, 'manifest.json')} ${why}: rebuilt from the ${listed} event file(s) of the feed directory`);
    }
    if (skipped.length > 0) {
      const shown = skipped.slice(0, 20).join(', ') + (skipped.length > 20 ? `, … (${skipped.length} in all)` : '');
      this.#warn(`rebuilding manifest.json: left out the event files that cannot be read or are damaged: ${shown} (a run that touches one of these events stops with T2M_FEED_IO until it is restored from a backup; see docs/troubleshooting.md, "Feed directory")`);
    }
    return manifest;
  }

  /** The event a feed file holds; its text is not kept (a busy day's event file runs to a hundred MB). */
  #readEvent(path: string, uuid: string): FeedEvent | undefined {
    const text = readOptional(path);
    if (text === undefined) return undefined;
    const event = parseEventFile(text, uuid);
    if (event === undefined) throw new Tpot2MispError('T2M_FEED_IO', `${path} is damaged (not the JSON of MISP event ${uuid})`, { hint: RESTORE_HINT });
    return event;
  }

  #writeEvent(changes: EventChanges, manifest: Manifest): EventDelivery {
    const path = join(this.#dir, `${changes.event.uuid}.json`);
    const existing = this.#readEvent(path, changes.event.uuid);
    const attributes = byUuid(existing?.Attribute);
    const objects = byUuid(existing?.Object);
    const counts = { attributesAdded: 0, attributesUpdated: 0, objectsAdded: 0, objectsUpdated: 0, alreadyPresent: 0 };
    // hashes.csv lines of the values this write brings into the event (a line is per value and event: an ip-port
    // object's port is there already when another object named it); the others have theirs already.
    const hashes: string[] = [];
    const present = hashedValues([...attributes.values(), ...[...objects.values()].flatMap((o) => o.Attribute)]);
    const hashIfNew = (attribute: FeedAttribute, before: FeedAttribute | undefined): void => {
      if (attribute.deleted === true || (before !== undefined && before.deleted !== true)) return;
      for (const part of hashedParts(attribute)) {
        if (present.has(part)) continue;
        present.add(part);
        hashes.push(`${md5(part)},${changes.event.uuid}\n`);
      }
    };
    // A MISP pulling the feed re-fetches an event only when its timestamp grew, and then edits only the items whose
    // timestamp grew: every later change moves both, even for data that arrived late (an older last_seen). A change
    // is stamped with the write time, and always more than before; first_seen/last_seen still say when attacked.
    // A new event keeps the timestamps the build derived from its data (newest hit or enrichment): a first write
    // depends on the data only (same files whatever the clock); no MISP holds it yet, so none can miss it.
    const fresh = existing === undefined;
    const now = Math.floor(this.#now() / 1000);
    const stamp = (previous: string | undefined, atLeast = 0): string =>
      String(Math.max(now, atLeast, previous === undefined ? 0 : seconds(previous) + 1));
    const stampNew = (built: string | undefined): string => (fresh && seconds(built) > 0 ? String(seconds(built)) : stamp(undefined));

    for (const { item: withDistribution } of changes.attributes) {
      const item = forFeed(withDistribution);
      const before = attributes.get(item.uuid);
      if (before !== undefined && contentOf(before) === contentOf(item)) {
        // Unchanged: it keeps its timestamp, so a pulling MISP does not edit it again.
        counts.alreadyPresent++;
        continue;
      }
      if (before === undefined) counts.attributesAdded++;
      else counts.attributesUpdated++;
      hashIfNew(item, before);
      // A deleted attribute (ENRICHMENT_DROP_BENIGN) stays, marked deleted with a newer timestamp: a MISP that
      // already pulled the event deletes its copy only when told so.
      attributes.set(item.uuid, { ...item, timestamp: before === undefined ? stampNew(item.timestamp) : stamp(before.timestamp) });
    }
    for (const { item: withDistribution } of changes.objects) {
      const item: FeedObject = { ...forFeed(withDistribution), Attribute: withDistribution.Attribute.map(forFeed) };
      const before = objects.get(item.uuid);
      if (before !== undefined && contentOf(before) === contentOf(item)) {
        counts.alreadyPresent++;
        continue;
      }
      if (before === undefined) counts.objectsAdded++;
      else counts.objectsUpdated++;
      const timestamp = before === undefined ? stampNew(item.timestamp) : stamp(before.timestamp);
      const beforeAttributes = byUuid(before?.Attribute);
      const Attribute = item.Attribute.map((attribute) => {
        const previous = beforeAttributes.get(attribute.uuid);
        hashIfNew(attribute, previous);
        if (previous !== undefined && contentOf(previous) === contentOf(attribute)) return { ...attribute, timestamp: previous.timestamp };
        // Never older than its object (a MISP edits the object's attributes by their own timestamps).
        return { ...attribute, timestamp: previous === undefined ? timestamp : stamp(previous.timestamp, seconds(timestamp)) };
      });
      objects.set(item.uuid, { ...item, timestamp, Attribute });
    }

    const allAttributes = [...attributes.values()].sort(sortAttributes);
    const allObjects = [...objects.values()].sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    const { event } = changes;
    const feedEvent: FeedEvent = {
      uuid: event.uuid,
      info: event.info,
      date: event.date,
      threat_level_id: event.threat_level_id,
      analysis: event.analysis,
      timestamp: existing?.timestamp ?? '0',
      publish_timestamp: '0',
      published: false,
      Orgc: { name: this.#org.name, uuid: this.#org.uuid },
      Tag: [...event.Tag],
      Attribute: allAttributes,
      Object: allObjects,
    };
    // Before the event file: a crash in between leaves a line too many (harmless: the next run writes the event and
    // appends it again), never a value of the feed without its line.
    this.#appendHashes(hashes);
    const itemsChanged = counts.attributesAdded + counts.attributesUpdated + counts.objectsAdded + counts.objectsUpdated > 0;
    if (existing === undefined || itemsChanged || headerOf(existing) !== headerOf(feedEvent)) {
      // Anything changed (an item, the tags, the org): the event's timestamp grows, and stays at least its newest item's.
      // A loop, not Math.max(...items): a busy day's event holds more items than a call may take arguments.
      let newest = 0;
      for (const a of allAttributes) newest = Math.max(newest, seconds(a.timestamp));
      for (const o of allObjects) {
        newest = Math.max(newest, seconds(o.timestamp));
        for (const a of o.Attribute) newest = Math.max(newest, seconds(a.timestamp));
      }
      feedEvent.timestamp = fresh && newest > 0 ? String(newest) : stamp(existing?.timestamp, newest);
      writeAtomically(path, eventFileJson(feedEvent));
    }

    manifest[event.uuid] = manifestEntry(feedEvent);
    return { eventUuid: event.uuid, eventCreated: existing === undefined, ...counts, rejected: [] };
  }

  /**
   * A delivery that failed midway still leaves a manifest listing every event file it wrote. Not needed for
   * correctness (nothing of that delivery was committed, so the next one writes it all again), so a failure here is
   * only a warning: it must not hide the error that ended the run.
   */
  async close(): Promise<void> {
    try {
      await this.finishDelivery();
    } catch (error) {
      this.#warn((error as Error).message);
    }
  }
}
