// MISP feed sink: a directory any MISP can pull ("MISP Feed" format): manifest.json, <uuid>.json, hashes.csv.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

function parseJson<T>(path: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Tpot2MispError('T2M_FEED_IO', `${path} is not valid JSON`, {
      cause: error,
      hint: 'move the damaged file away; the next run writes the event again from the data it reads',
    });
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves a half-written file. */
function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  } catch (error) {
    throw new Tpot2MispError('T2M_FEED_IO', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function byUuid<T extends { uuid: string }>(items: readonly T[] | undefined): Map<string, T> {
  return new Map((items ?? []).map((item) => [item.uuid, item]));
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
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

export class FeedSink implements Sink {
  readonly id: string;
  readonly #dir: string;
  readonly #org: MispOrg;

  constructor(dir: string, org: MispOrg) {
    this.#dir = resolve(dir);
    this.#org = org;
    this.id = `feed:${this.#dir}`;
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
    const manifestPath = join(this.#dir, 'manifest.json');
    const hashesPath = join(this.#dir, 'hashes.csv');
    const manifestText = readOptional(manifestPath);
    const manifest: Manifest = manifestText === undefined ? {} : parseJson<Manifest>(manifestPath, manifestText);
    const hashesText = readOptional(hashesPath) ?? '';
    const hashes = new Set(hashesText.split('\n').filter((line) => line.length > 0));

    const deliveries = all.map((changes) => this.#writeEvent(changes, manifest, hashes));

    const sortedManifest = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => (a < b ? -1 : 1)));
    const newManifest = `${JSON.stringify(sortedManifest, null, 1)}\n`;
    if (newManifest !== manifestText) writeAtomically(manifestPath, newManifest);
    const newHashes = [...hashes].sort().map((line) => `${line}\n`).join('');
    if (newHashes !== hashesText) writeAtomically(hashesPath, newHashes);
    return deliveries;
  }

  #writeEvent(changes: EventChanges, manifest: Manifest, hashes: Set<string>): EventDelivery {
    const path = join(this.#dir, `${changes.event.uuid}.json`);
    const existingText = readOptional(path);
    const existing = existingText === undefined ? undefined : parseJson<{ Event: FeedEvent }>(path, existingText).Event;
    const attributes = byUuid(existing?.Attribute);
    const objects = byUuid(existing?.Object);
    const counts = { attributesAdded: 0, attributesUpdated: 0, objectsAdded: 0, objectsUpdated: 0, alreadyPresent: 0 };

    for (const { item: withDistribution } of changes.attributes) {
      const item = forFeed(withDistribution);
      const before = attributes.get(item.uuid);
      if (before === undefined) counts.attributesAdded++;
      else if (JSON.stringify(before) === JSON.stringify(item)) counts.alreadyPresent++;
      else counts.attributesUpdated++;
      // A deleted attribute (ENRICHMENT_DROP_BENIGN) stays, marked deleted with a newer timestamp: a MISP that
      // already pulled the event deletes its copy only when told so.
      attributes.set(item.uuid, item);
    }
    for (const { item: withDistribution } of changes.objects) {
      const item = { ...forFeed(withDistribution), Attribute: withDistribution.Attribute.map(forFeed) };
      const before = objects.get(item.uuid);
      if (before === undefined) counts.objectsAdded++;
      else if (JSON.stringify(before) === JSON.stringify(item)) counts.alreadyPresent++;
      else counts.objectsUpdated++;
      objects.set(item.uuid, item);
    }

    const allAttributes = [...attributes.values()].sort(sortAttributes);
    const allObjects = [...objects.values()].sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    // The event's timestamp follows its newest content, so MISP re-pulls the event when it grows.
    const timestamp = String(
      Math.max(0, ...allAttributes.map((a) => Number(a.timestamp ?? 0)), ...allObjects.map((o) => Number(o.timestamp ?? 0))),
    );
    const { event } = changes;
    const feedEvent: FeedEvent = {
      uuid: event.uuid,
      info: event.info,
      date: event.date,
      threat_level_id: event.threat_level_id,
      analysis: event.analysis,
      timestamp,
      publish_timestamp: '0',
      published: false,
      Orgc: { name: this.#org.name, uuid: this.#org.uuid },
      Tag: [...event.Tag],
      Attribute: allAttributes,
      Object: allObjects,
    };
    const text = `${JSON.stringify({ Event: feedEvent })}\n`;
    if (text !== existingText) writeAtomically(path, text);

    manifest[event.uuid] = {
      Orgc: feedEvent.Orgc,
      Tag: feedEvent.Tag,
      info: feedEvent.info,
      date: feedEvent.date,
      analysis: feedEvent.analysis,
      threat_level_id: feedEvent.threat_level_id,
      timestamp,
    };
    // hashes.csv feeds MISP's correlation cache: md5 of every value (object attributes included), per event.
    // Composite types ("ip-src|port") are hashed per part, as PyMISP's hash_values does.
    for (const attribute of [...allAttributes, ...allObjects.flatMap((o) => o.Attribute)]) {
      if (attribute.deleted === true) continue;
      const parts = attribute.type.includes('|') ? attribute.value.split('|') : [attribute.value];
      for (const part of parts) hashes.add(`${md5(part)},${event.uuid}`);
    }
    return { eventUuid: event.uuid, eventCreated: existing === undefined, ...counts, rejected: [] };
  }

  async close(): Promise<void> {}
}
