// Pure: (daily bucket, what the sink already holds, what enrichment knows) → the MISP changes still missing. No
// writes, no clock; the ledger and the enrichment view are read-only lookups.
import { createHash } from 'node:crypto';
import type { AggregatedIndicator, DailyBucket } from '../aggregate.js';
import { indicatorKey } from '../aggregate.js';
import { enrichmentObjects, enrichmentTags, freshAnswers, isBenignScanner, type ProviderAnswers } from '../enrichment/misp-render.js';
import type { EnrichmentSubject } from '../enrichment/subject.js';
import { honeypotFor } from '../honeypots/registry.js';
import type { HoneypotType } from '../honeypots/honeypot-type.js';
import type { AttributeIndicator, Indicator, ObjectAttributeValue, ObjectIndicator } from '../indicators.js';
import { mergeTally, type Tally } from '../tally.js';
import { mispDateTime, unixSeconds } from '../time.js';
import type { MispAttribute, MispEventHeader, MispObject, MispTag } from './model.js';
import { OBJECT_TEMPLATES, type ObjectTemplate } from './object-templates.js';
import { nameUuid } from './uuid.js';

export interface BuildSettings {
  readonly uuidNamespace: string;
  readonly distribution: number;
  readonly threatLevel: number;
  readonly analysis: number;
  /** MISP_TAGS: added to every event (a `tlp:` tag here replaces the default tlp:clear). */
  readonly tags: readonly string[];
}

/** What enrichment knows when an event is built (a read-only view of the state store). */
export interface EnrichmentView {
  /** The subject of `indicator` and the providers' latest answers, or undefined when it is not enriched. */
  answersFor(indicator: Indicator): { readonly subject: EnrichmentSubject; readonly answers: ProviderAnswers } | undefined;
  /** ENRICHMENT_DROP_BENIGN: benign scanners stay out of MISP (and are removed once known to be benign). */
  readonly dropBenign: boolean;
}

/** What the sink already holds for one attribute or object (the state store's ledger row). */
export interface DeliveredItem {
  readonly fingerprint: string;
  readonly tally: Tally;
  /** The enrichment tags the sink holds on the item (or on its hash attribute, for a file object). */
  readonly tags?: TagsOn;
  /** Delivered as deleted (a benign scanner removed from the event). */
  readonly deleted?: true;
}

/**
 * Whether an attribute's `to_ids` and `deleted` differ from what the sink was last given. A sink that keeps the fields
 * an edit leaves out (MISP) need not send them otherwise, so that an analyst's edits to them last: a `to_ids` turned
 * off for a false positive, an attribute soft-deleted.
 */
export interface FlagChanges {
  readonly toIds: boolean;
  readonly deleted: boolean;
}

/** Tag names on one attribute (by UUID). */
export interface TagsOn {
  readonly on: string;
  readonly names: readonly string[];
}

export interface Ledger {
  readonly eventDelivered: boolean;
  item(uuid: string): DeliveredItem | undefined;
}

export interface ItemChange<T> {
  readonly item: T;
  /** Not in the sink yet (as far as the ledger knows). */
  readonly isNew: boolean;
  /** The cumulative tally the item now reflects (stored in the ledger once delivered). */
  readonly tally: Tally;
  readonly fingerprint: string;
  /** Enrichment tags the item now carries (stored in the ledger once delivered). */
  readonly tags?: TagsOn;
  /**
   * Enrichment tags the sink holds that the item no longer carries (a verdict changed): a sink that keeps tags
   * across edits, like MISP, must remove them.
   */
  readonly untag?: TagsOn;
  /** For an attribute the sink holds (per the ledger): which of its flags this change moves. */
  readonly flagsChanged?: FlagChanges;
}

export interface EventChanges {
  readonly honeypot: HoneypotType;
  readonly day: string;
  readonly event: MispEventHeader;
  readonly createEvent: boolean;
  readonly attributes: readonly ItemChange<MispAttribute>[];
  readonly objects: readonly ItemChange<MispObject>[];
}

/** Attributes inside an event inherit the event's distribution. */
const INHERIT_EVENT = '5';

export function eventUuid(namespace: string, honeypot: HoneypotType, day: string): string {
  return nameUuid(`${honeypot}|${day}`, namespace);
}

export function eventInfo(honeypot: HoneypotType, day: string): string {
  return `T-Pot ${honeypot} attacks ${day}`;
}

export function eventTags(honeypot: HoneypotType, extra: readonly string[]): MispTag[] {
  const module = honeypotFor(honeypot);
  const names: string[] = [];
  if (!extra.some((tag) => tag.toLowerCase().startsWith('tlp:'))) names.push('tlp:clear');
  if (module !== undefined && module.interaction !== 'none') {
    names.push(`honeypot-basic:interaction-level="${module.interaction}"`);
  }
  names.push(module?.role === 'nsm' ? 'honeypot-basic:data-capture="events"' : 'honeypot-basic:data-capture="attacks"');
  names.push(`tpot:honeypot="${honeypot}"`);
  for (const tag of extra) if (!names.includes(tag)) names.push(tag);
  return names.map((name) => ({ name }));
}

function plural(count: number, unit: string): string {
  return `${count} ${count === 1 ? unit.replace(/s$/, '') : unit}`;
}

function listText(values: readonly string[], truncated: boolean): string {
  return values.join(', ') + (truncated ? ', …' : '');
}

function attributeComment(indicator: AttributeIndicator, tally: Tally): string {
  const parts = [plural(tally.count, 'hits')];
  if (indicator.label) parts.unshift(indicator.label);
  if (tally.ports.length > 0) parts.push(`ports ${listText(tally.ports, tally.portsTruncated)}`);
  if (tally.protocols.length > 0) parts.push(`protocols ${listText(tally.protocols, tally.protocolsTruncated)}`);
  return parts.join('; ');
}

function fingerprintOf(item: MispAttribute | MispObject): string {
  // Timestamps are derived from last_seen, which is already part of the content: a re-check of enrichment that
  // answers the same changes nothing, so nothing is sent (and an auto-published event is not republished).
  return createHash('sha1').update(JSON.stringify(item)).digest('hex');
}

/**
 * The item's timestamp is its last hit. MISP stamps its own on writes; the feed sink stamps the write time on any
 * later change (new tags, a deletion), so that a MISP that already pulled the event fetches it again.
 */
function renderAttribute(uuid: string, indicator: AttributeIndicator, tally: Tally, tags: readonly MispTag[], deleted = false): MispAttribute {
  return {
    uuid,
    type: indicator.type,
    category: indicator.category,
    value: indicator.value,
    to_ids: indicator.toIds,
    comment: attributeComment(indicator, tally),
    distribution: INHERIT_EVENT,
    disable_correlation: false,
    first_seen: mispDateTime(tally.firstSeen),
    last_seen: mispDateTime(tally.lastSeen),
    timestamp: unixSeconds(tally.lastSeen),
    deleted,
    ...(tags.length > 0 && { Tag: tags }),
  };
}

/** The attribute an enrichment subject is: tags land there (a file is looked up by its hash). */
const SUBJECT_RELATIONS = new Set(['sha256', 'md5']);

/**
 * A cowrie object keeps the session it was delivered with. Its session attribute's UUID follows the value, a MISP
 * object edit keeps the attributes it does not mention, and the template allows one session: an earlier session
 * reported later (HPFEEDS reports a session when it ends) would otherwise add a second session attribute.
 */
function keepSession(merged: Tally, delivered: Tally): Tally {
  return delivered.firstSession === undefined || merged.firstSession === delivered.firstSession ? merged : { ...merged, firstSession: delivered.firstSession };
}

/**
 * An attribute keeps the IDS export an earlier delivery gave it. Within a delivery the IDS-worthy sighting of a value
 * already wins (aggregate.ts); the tally remembers it across deliveries (Tally.ids), so that a later delivery holding
 * only sightings kept out of IDS export (a source address the client may have written in a header) does not edit it
 * back to to_ids false with their caveat. The IDS-worthy sighting of such a value (the TCP peer) carries no label.
 */
function keepIds(indicator: Indicator, tally: Tally): Indicator {
  if (indicator.kind !== 'attribute' || indicator.toIds || tally.ids !== true) return indicator;
  return { kind: 'attribute', type: indicator.type, category: indicator.category, value: indicator.value, toIds: true };
}

function renderObject(uuid: string, indicator: ObjectIndicator, tally: Tally, tags: readonly MispTag[]): MispObject {
  const template: ObjectTemplate = OBJECT_TEMPLATES[indicator.template];
  const values: ObjectAttributeValue[] = [...indicator.attributes];
  if (indicator.template === 'cowrie') {
    // The cowrie template requires a session; an aggregated tuple names the session it was first delivered with.
    values.unshift({ relation: 'session', type: 'text', category: 'Other', value: tally.firstSession ?? 'unknown', toIds: false });
  }
  const timestamp = unixSeconds(tally.lastSeen);
  return {
    uuid,
    name: template.name,
    'meta-category': template.metaCategory,
    description: template.description,
    template_uuid: template.uuid,
    template_version: template.version,
    comment: indicator.note === undefined ? plural(tally.count, indicator.unit) : `${plural(tally.count, indicator.unit)}; ${indicator.note}`,
    distribution: INHERIT_EVENT,
    first_seen: mispDateTime(tally.firstSeen),
    last_seen: mispDateTime(tally.lastSeen),
    timestamp,
    deleted: false,
    Attribute: values.map((value) => ({
      uuid: nameUuid(`${value.relation}|${value.type}|${value.value}`, uuid),
      type: value.type,
      category: value.category,
      value: value.value,
      to_ids: value.toIds,
      comment: '',
      distribution: INHERIT_EVENT,
      disable_correlation: template.uncorrelated.includes(value.relation),
      object_relation: value.relation,
      timestamp,
      deleted: false,
      ...(tags.length > 0 && indicator.template === 'file' && SUBJECT_RELATIONS.has(value.relation) && { Tag: tags }),
    })),
  };
}

/** Where an item's enrichment tags sit: the attribute itself, or a file object's hash attribute. */
function taggedOn(item: MispAttribute | MispObject, tags: readonly MispTag[]): TagsOn | undefined {
  if (tags.length === 0) return undefined;
  const on = 'Attribute' in item ? item.Attribute.find((a) => a.Tag !== undefined)?.uuid : item.uuid;
  return on === undefined ? undefined : { on, names: tags.map((t) => t.name) };
}

/** Tags the sink holds (per the ledger) that the item no longer carries. */
function staleTags(before: TagsOn | undefined, now: TagsOn | undefined): TagsOn | undefined {
  if (before === undefined) return undefined;
  const kept = now !== undefined && now.on === before.on ? new Set(now.names) : new Set<string>();
  const names = before.names.filter((name) => !kept.has(name));
  return names.length === 0 ? undefined : { on: before.on, names };
}

/** The UUID of an indicator inside the event with UUID `eventId`. */
export function itemUuid(eventId: string, aggregated: Pick<AggregatedIndicator, 'indicator'>): string {
  return nameUuid(indicatorKey(aggregated.indicator), eventId);
}

export function buildEventChanges(bucket: DailyBucket, ledger: Ledger, settings: BuildSettings, enrichment?: EnrichmentView): EventChanges {
  return changesFor(bucket, bucket.values(), !ledger.eventDelivered, ledger, settings, enrichment);
}

/**
 * The same changes, in parts of at most `chunkSize` indicators, so that a caller can deliver a large event without
 * holding all of its MISP JSON at once. Only parts with something to send; the first of them creates the event,
 * and an event with nothing in it is never created (a day of benign scanners left out, or enrichment re-delivered
 * to a sink that never held the event). The bucket is drained: each indicator is let go once its part is built.
 */
export function* buildEventChangesInParts(bucket: DailyBucket, ledger: Ledger, settings: BuildSettings, chunkSize: number, enrichment?: EnrichmentView): Generator<EventChanges> {
  let createEvent = !ledger.eventDelivered;
  let part: AggregatedIndicator[] = [];
  function* flushPart(): Generator<EventChanges> {
    const changes = changesFor(bucket, part, createEvent, ledger, settings, enrichment);
    part = [];
    if (changes.attributes.length === 0 && changes.objects.length === 0) return;
    createEvent = false;
    yield changes;
  }
  for (const aggregated of bucket.drain()) {
    part.push(aggregated);
    if (part.length === chunkSize) yield* flushPart();
  }
  if (part.length > 0) yield* flushPart();
}

function changesFor(bucket: DailyBucket, items: Iterable<AggregatedIndicator>, createEvent: boolean, ledger: Ledger, settings: BuildSettings, enrichment: EnrichmentView | undefined): EventChanges {
  const uuid = eventUuid(settings.uuidNamespace, bucket.honeypot, bucket.day);
  const attributes: ItemChange<MispAttribute>[] = [];
  const objects: ItemChange<MispObject>[] = [];
  // Enrichment objects reference indicators (attributes or objects): they go after every indicator object.
  const enrichments: ItemChange<MispObject>[] = [];
  for (const aggregated of items) {
    const id = itemUuid(uuid, aggregated);
    const delivered = ledger.item(id);
    // A zero-count entry only asks for re-delivery with new enrichment: nothing to do if the sink never got it.
    if (aggregated.tally.count === 0 && delivered === undefined) continue;
    const tally = delivered ? keepSession(mergeTally(delivered.tally, aggregated.tally), delivered.tally) : aggregated.tally;
    const indicator = keepIds(aggregated.indicator, tally);
    // Only the first IDS-worthy sighting moves to_ids (on); every other value of an attribute renders the same to_ids
    // delivery after delivery (ledger rows written before Tally.ids recorded it excepted: they send it once more).
    const idsRaised = tally.ids === true && delivered?.tally.ids !== true;
    const known = enrichment?.answersFor(indicator);
    // Only a fresh verdict drops: an expired "benign" is being re-checked, and the indicator must reach MISP if the
    // new answer differs (its hits would be lost otherwise).
    if (known !== undefined && enrichment?.dropBenign === true && indicator.kind === 'attribute' && isBenignScanner(freshAnswers(known.answers))) {
      // Never delivered: leave it out. Delivered before the verdict: delete it (MISP keeps a soft-deleted copy).
      if (delivered === undefined) continue;
      const removed = renderAttribute(id, indicator, tally, [], true);
      const fingerprint = fingerprintOf(removed);
      // The tags stay as they were on the deleted attribute (and in the ledger).
      const flagsChanged = { toIds: idsRaised, deleted: delivered.deleted !== true };
      if (delivered.fingerprint !== fingerprint) attributes.push({ item: removed, isNew: false, tally, fingerprint, flagsChanged, ...(delivered.tags !== undefined && { tags: delivered.tags }) });
      continue;
    }
    const tags = known === undefined ? [] : enrichmentTags(known.answers);
    const item = indicator.kind === 'attribute' ? renderAttribute(id, indicator, tally, tags) : renderObject(id, indicator, tally, tags);
    const fingerprint = fingerprintOf(item);
    if (delivered?.fingerprint !== fingerprint) {
      const tagged = taggedOn(item, tags);
      const untag = staleTags(delivered?.tags, tagged);
      const change = { isNew: delivered === undefined, tally, fingerprint, ...(tagged !== undefined && { tags: tagged }), ...(untag !== undefined && { untag }) };
      if (indicator.kind === 'attribute') {
        const flagsChanged = delivered === undefined ? undefined : { toIds: idsRaised, deleted: delivered.deleted === true };
        attributes.push({ ...change, item: item as MispAttribute, ...(flagsChanged !== undefined && { flagsChanged }) });
      }
      else objects.push({ ...change, item: item as MispObject });
    }
    if (known === undefined) continue;
    for (const object of enrichmentObjects(uuid, id, known.subject, known.answers)) {
      const before = ledger.item(object.uuid);
      // Its timestamp is when the answer was fetched: a re-check that answers the same is nothing to send.
      const objectFingerprint = fingerprintOf({ ...object, timestamp: '', Attribute: object.Attribute.map((a) => ({ ...a, timestamp: '' })) });
      if (before?.fingerprint === objectFingerprint) continue;
      enrichments.push({ item: object, isNew: before === undefined, tally, fingerprint: objectFingerprint });
    }
  }
  const byUuid = (a: ItemChange<MispObject>, b: ItemChange<MispObject>) => (a.item.uuid < b.item.uuid ? -1 : 1);
  const byTypeAndValue = (a: ItemChange<MispAttribute>, b: ItemChange<MispAttribute>) =>
    a.item.type === b.item.type ? (a.item.value < b.item.value ? -1 : 1) : a.item.type < b.item.type ? -1 : 1;
  return {
    honeypot: bucket.honeypot,
    day: bucket.day,
    event: {
      uuid,
      info: eventInfo(bucket.honeypot, bucket.day),
      date: bucket.day,
      distribution: String(settings.distribution),
      threat_level_id: String(settings.threatLevel),
      analysis: String(settings.analysis),
      published: false,
      Tag: eventTags(bucket.honeypot, settings.tags),
    },
    createEvent,
    attributes: attributes.sort(byTypeAndValue),
    objects: [...objects.sort(byUuid), ...enrichments.sort(byUuid)],
  };
}
