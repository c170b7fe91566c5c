// Daily buckets: per (UTC day, honeypot) each indicator once, with first/last seen and hit count.
import type { HoneypotType } from './honeypots/honeypot-type.js';
import type { Indicator, Observation } from './indicators.js';
import { mispValueKey } from './misp/value-identity.js';
import { emptyTally, observeInPlace, tallyOf, type MutableTally, type Tally } from './tally.js';
import { utcDay } from './time.js';

export interface AggregatedIndicator {
  readonly indicator: Indicator;
  readonly tally: Tally;
}

interface HeldIndicator {
  indicator: Indicator;
  readonly tally: MutableTally;
}

export class DailyBucket {
  readonly honeypot: HoneypotType;
  readonly day: string;
  /** Documents that produced an attack event in this bucket. */
  events = 0;
  // By attribute type (or object template), then by the value's identity: the inner key is a string the indicator
  // holds already (its value, mostly), where one composite key per indicator ("attribute|ip-src|…") would cost a
  // copy of every value. Together they are indicatorKey's identity.
  readonly #attributes = new Map<string, Map<string, HeldIndicator>>();
  readonly #objects = new Map<string, Map<string, HeldIndicator>>();
  #size = 0;

  constructor(honeypot: HoneypotType, day: string) {
    this.honeypot = honeypot;
    this.day = day;
  }

  add(observation: Observation, time: number): void {
    this.events++;
    for (const indicator of observation.indicators) {
      const seen = {
        time,
        port: observation.port,
        protocol: observation.protocol,
        // Sessions matter only to objects that carry one (cowrie); leaving them out elsewhere keeps tallies small.
        session: indicator.kind === 'object' && indicator.template === 'cowrie' ? observation.session : undefined,
        ids: isIdsSighting(indicator),
      };
      const held = this.#held(indicator);
      const identity = identityOf(indicator);
      const existing = held.get(identity);
      // tallyOf makes a fresh object: the bucket owns it and updates it in place from then on.
      if (existing === undefined) {
        held.set(identity, { indicator, tally: tallyOf(seen) });
        this.#size++;
      } else {
        observeInPlace(existing.tally, seen);
        // One value seen both in a context kept out of IDS export (a source address the client may have written in a
        // header) and in one that is not (the TCP peer): the IDS-worthy sighting wins, whichever came first, so the
        // result does not depend on the order documents were read in. Across deliveries the tally remembers it
        // (Tally.ids): a later delivery holding only the other sighting still renders the value for IDS (misp/build.ts).
        if (isIdsUpgrade(existing.indicator, indicator)) existing.indicator = indicator;
      }
    }
  }

  /**
   * Asks for `indicator` to be rebuilt without a new sighting (its enrichment changed): a zero-count tally
   * merges into the delivered one without changing it. No effect if the bucket already holds the indicator.
   */
  touch(indicator: Indicator): boolean {
    const held = this.#held(indicator);
    const identity = identityOf(indicator);
    if (held.has(identity)) return false;
    held.set(identity, { indicator, tally: emptyTally() });
    this.#size++;
    return true;
  }

  /** Unique indicators held. */
  get size(): number {
    return this.#size;
  }

  /** The bucket's indicators with their tallies (read-only views): attributes by type, then objects by template. */
  *values(): Generator<AggregatedIndicator> {
    for (const held of this.#attributes.values()) yield* held.values();
    for (const held of this.#objects.values()) yield* held.values();
  }

  /**
   * The same, each let go as it is handed out: a flush builds a bucket part by part, and what it has built need not
   * stay (the ledger rows it keeps until its commit are a fraction of the size). The bucket is empty afterwards; a
   * failed flush does not come back to it (the data is read again).
   */
  *drain(): Generator<AggregatedIndicator> {
    for (const groups of [this.#attributes, this.#objects]) {
      for (const held of groups.values()) {
        for (const [identity, item] of held) {
          held.delete(identity);
          this.#size--;
          yield item;
        }
      }
      groups.clear();
    }
  }

  /** The map of `indicator`'s attribute type or object template, keyed by identityOf. */
  #held(indicator: Indicator): Map<string, HeldIndicator> {
    const groups = indicator.kind === 'attribute' ? this.#attributes : this.#objects;
    const group = groupOf(indicator);
    let held = groups.get(group);
    if (held === undefined) groups.set(group, (held = new Map()));
    return held;
  }
}

function isIdsUpgrade(held: Indicator, seen: Indicator): boolean {
  return held.kind === 'attribute' && seen.kind === 'attribute' && !held.toIds && seen.toIds;
}

/**
 * Attribute types whose IDS export depends on the sighting: a source address is the TCP peer (for IDS), or one the
 * sender may have chosen, such as a client-written header (kept out: indicators.ts). Only their tallies record an
 * IDS-worthy sighting, so that the ledger rows of every other indicator stay as small as before.
 */
const IDS_BY_SIGHTING: ReadonlySet<string> = new Set(['ip-src']);

function isIdsSighting(indicator: Indicator): boolean | undefined {
  return indicator.kind === 'attribute' && indicator.toIds && IDS_BY_SIGHTING.has(indicator.type) ? true : undefined;
}

/**
 * An indicator's identity inside its event: type and value for attributes (values MISP holds as the same one are
 * one attribute, whichever spelling came first), template and tuple for objects.
 */
export function indicatorKey(indicator: Indicator): string {
  return `${indicator.kind}|${groupOf(indicator)}|${identityOf(indicator)}`;
}

/** An attribute's type, an object's template. */
function groupOf(indicator: Indicator): string {
  return indicator.kind === 'attribute' ? indicator.type : indicator.template;
}

/** An indicator's identity among those of its attribute type or object template. */
function identityOf(indicator: Indicator): string {
  return indicator.kind === 'attribute' ? mispValueKey(indicator.type, indicator.value) : indicator.key;
}

/** All buckets touched since the last flush; memory grows with unique indicators, not documents. */
export class Aggregator {
  readonly #buckets = new Map<string, DailyBucket>();
  #items = 0;

  add(honeypot: HoneypotType, time: number, observation: Observation): void {
    const bucket = this.#bucket(honeypot, utcDay(time));
    const before = bucket.size;
    bucket.add(observation, time);
    this.#items += bucket.size - before;
  }

  /** See DailyBucket.touch. */
  touch(honeypot: HoneypotType, day: string, indicator: Indicator): void {
    if (this.#bucket(honeypot, day).touch(indicator)) this.#items++;
  }

  /** Unique (bucket, indicator) pairs held. */
  get size(): number {
    return this.#items;
  }

  /** Buckets in a stable order (day, then honeypot). */
  buckets(): DailyBucket[] {
    return [...this.#buckets.values()].sort((a, b) => (a.day === b.day ? (a.honeypot < b.honeypot ? -1 : 1) : a.day < b.day ? -1 : 1));
  }

  #bucket(honeypot: HoneypotType, day: string): DailyBucket {
    const key = `${honeypot}|${day}`;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = new DailyBucket(honeypot, day);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  clear(): void {
    this.#buckets.clear();
    this.#items = 0;
  }
}
