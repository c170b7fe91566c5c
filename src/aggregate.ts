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
  readonly #items = new Map<string, HeldIndicator>();

  constructor(honeypot: HoneypotType, day: string) {
    this.honeypot = honeypot;
    this.day = day;
  }

  add(observation: Observation, time: number): void {
    this.events++;
    for (const indicator of observation.indicators) {
      const key = indicatorKey(indicator);
      // Sessions matter only to objects that carry one (cowrie); leaving them out elsewhere keeps tallies small.
      const seen = {
        time,
        port: observation.port,
        protocol: observation.protocol,
        session: indicator.kind === 'object' && indicator.template === 'cowrie' ? observation.session : undefined,
        ids: isIdsSighting(indicator),
      };
      const existing = this.#items.get(key);
      // tallyOf makes a fresh object: the bucket owns it and updates it in place from then on.
      if (existing === undefined) this.#items.set(key, { indicator, tally: tallyOf(seen) });
      else {
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
    const key = indicatorKey(indicator);
    if (this.#items.has(key)) return false;
    this.#items.set(key, { indicator, tally: emptyTally() });
    return true;
  }

  /** The bucket's indicators with their tallies (read-only views). */
  get items(): ReadonlyMap<string, AggregatedIndicator> {
    return this.#items;
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
  return indicator.kind === 'attribute'
    ? `attribute|${indicator.type}|${mispValueKey(indicator.type, indicator.value)}`
    : `object|${indicator.template}|${indicator.key}`;
}

/** All buckets touched since the last flush; memory grows with unique indicators, not documents. */
export class Aggregator {
  readonly #buckets = new Map<string, DailyBucket>();
  #items = 0;

  add(honeypot: HoneypotType, time: number, observation: Observation): void {
    const bucket = this.#bucket(honeypot, utcDay(time));
    const before = bucket.items.size;
    bucket.add(observation, time);
    this.#items += bucket.items.size - before;
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
