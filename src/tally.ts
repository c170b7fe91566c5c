// How often, when and where an indicator was seen: merged identically whatever order data arrives in.

/** At most this many distinct ports/protocols are listed per indicator (the smallest, in sort order). */
export const TALLY_LIST_LIMIT = 12;

export interface Tally {
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
  /** Targeted ports ("22/tcp"), sorted, at most TALLY_LIST_LIMIT. */
  readonly ports: readonly string[];
  readonly portsTruncated: boolean;
  readonly protocols: readonly string[];
  readonly protocolsTruncated: boolean;
  /** Session of the earliest observation (ties: the smallest id), for objects that need one. */
  readonly firstSession?: string;
  /**
   * An IDS-worthy sighting is among those counted: set (never false) only for a value that may also be sighted in a
   * context kept out of IDS export (a source address: the TCP peer, or what the client wrote in a header), so that
   * a later delivery holding only the latter keeps it for IDS (aggregate.ts decides which). Absent: no such
   * sighting, or not known (a ledger row written before this was recorded).
   */
  readonly ids?: true;
}

export interface TallyObservation {
  readonly time: number;
  readonly port?: string;
  readonly protocol?: string;
  readonly session?: string;
  /** An IDS-worthy sighting (see Tally.ids). */
  readonly ids?: boolean;
}

// Lists are never changed in place (a merge makes a new one), so tallies can share them. Most tallies list one port
// and one protocol, from a few hundred distinct values: one shared list per value saves each held indicator two
// arrays and a copy of the port's text (about 150 bytes).
const EMPTY_LIST: readonly string[] = Object.freeze([]);
const SINGLE_LISTS = new Map<string, readonly string[]>();
// Ports and protocols come from attacker-written documents, and the shared lists live as long as the process: only
// short values are shared (a port label, a protocol name), and only so many, so that a flood of odd values (each may
// be 64 KB) cannot hold memory beyond the delivery they belong to.
const SINGLE_LISTS_LIMIT = 10_000;
const SHARED_VALUE_MAX_LENGTH = 32;

function listOf(value: string | undefined): readonly string[] {
  if (value === undefined) return EMPTY_LIST;
  let list = SINGLE_LISTS.get(value);
  if (list === undefined) {
    list = Object.freeze([value]);
    if (value.length <= SHARED_VALUE_MAX_LENGTH && SINGLE_LISTS.size < SINGLE_LISTS_LIMIT) SINGLE_LISTS.set(value, list);
  }
  return list;
}

function mergeList(a: readonly string[], aTruncated: boolean, b: readonly string[], bTruncated: boolean): [readonly string[], boolean] {
  const union = [...new Set([...a, ...b])].sort();
  // Keeping the smallest N of a union of "smallest N" lists gives the smallest N of the full union, so the
  // result does not depend on how the data was split into runs.
  const merged = union.length <= 1 ? listOf(union[0]) : union.slice(0, TALLY_LIST_LIMIT);
  return [merged, aTruncated || bTruncated || union.length > TALLY_LIST_LIMIT];
}

function earlierSession(a: Tally, b: Tally): string | undefined {
  if (a.firstSession === undefined) return b.firstSession;
  if (b.firstSession === undefined) return a.firstSession;
  if (a.firstSeen !== b.firstSeen) return a.firstSeen < b.firstSeen ? a.firstSession : b.firstSession;
  return a.firstSession < b.firstSession ? a.firstSession : b.firstSession;
}

export function tallyOf(observation: TallyObservation): Tally {
  return {
    firstSeen: observation.time,
    lastSeen: observation.time,
    count: 1,
    ports: listOf(observation.port),
    portsTruncated: false,
    protocols: listOf(observation.protocol),
    protocolsTruncated: false,
    ...(observation.session !== undefined && { firstSession: observation.session }),
    ...(observation.ids === true && { ids: true }),
  };
}

/** The identity of mergeTally: merging it changes nothing (a rebuild without a new sighting). */
export function emptyTally(): MutableTally {
  return { firstSeen: Number.POSITIVE_INFINITY, lastSeen: Number.NEGATIVE_INFINITY, count: 0, ports: EMPTY_LIST, portsTruncated: false, protocols: EMPTY_LIST, protocolsTruncated: false };
}

/** Commutative and associative: merge(a, merge(b, c)) equals merge(merge(a, b), c). */
export function mergeTally(a: Tally, b: Tally): Tally {
  const [ports, portsTruncated] = mergeList(a.ports, a.portsTruncated, b.ports, b.portsTruncated);
  const [protocols, protocolsTruncated] = mergeList(a.protocols, a.protocolsTruncated, b.protocols, b.protocolsTruncated);
  const firstSession = earlierSession(a, b);
  return {
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastSeen: Math.max(a.lastSeen, b.lastSeen),
    count: a.count + b.count,
    ports,
    portsTruncated,
    protocols,
    protocolsTruncated,
    ...(firstSession !== undefined && { firstSession }),
    // Written only when set: ledger rows of the many values that never have it stay as small as before.
    ...((a.ids === true || b.ids === true) && { ids: true }),
  };
}

/** A tally the aggregator owns and updates in place (one per indicator per day, millions of updates). */
export type MutableTally = { -readonly [K in keyof Tally]: Tally[K] };

/**
 * Adds one observation to a tally the caller owns: the same result as `mergeTally(tally, tallyOf(observation))`
 * without allocating on the common path (the port, protocol and session are already known).
 */
export function observeInPlace(tally: MutableTally, observation: TallyObservation): void {
  const { time, port, protocol, session } = observation;
  if (observation.ids === true) tally.ids = true;
  if (session !== undefined) {
    const current = tally.firstSession;
    if (current === undefined || time < tally.firstSeen || (time === tally.firstSeen && session < current)) tally.firstSession = session;
  }
  if (time < tally.firstSeen) tally.firstSeen = time;
  if (time > tally.lastSeen) tally.lastSeen = time;
  tally.count++;
  if (port !== undefined && !tally.ports.includes(port)) {
    [tally.ports, tally.portsTruncated] = mergeList(tally.ports, tally.portsTruncated, [port], false);
  }
  if (protocol !== undefined && !tally.protocols.includes(protocol)) {
    [tally.protocols, tally.protocolsTruncated] = mergeList(tally.protocols, tally.protocolsTruncated, [protocol], false);
  }
}
