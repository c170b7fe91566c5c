// The contract of a MISP sink: apply one event's changes, report what the sink now holds.
import type { EventChanges } from './build.js';

export interface RejectedItem {
  readonly uuid: string;
  /** MISP's own validation message (bounded). */
  readonly reason: string;
}

export interface EventDelivery {
  readonly eventUuid: string;
  /** The event did not exist in the sink before this delivery. */
  readonly eventCreated: boolean;
  readonly attributesAdded: number;
  readonly attributesUpdated: number;
  readonly objectsAdded: number;
  readonly objectsUpdated: number;
  /** Items the sink turned out to hold already (e.g. after the state file was lost). */
  readonly alreadyPresent: number;
  /** Items the sink refused for good; they are reported, not retried. */
  readonly rejected: readonly RejectedItem[];
  /**
   * The sink no longer holds this event and refuses it: an analyst deleted it in MISP. Nothing of this delivery was
   * kept (every count above is 0), and nothing more is sent to the event.
   */
  readonly eventDeleted?: true;
}

export interface Sink {
  /** Ledger key: what this sink holds is tracked separately from other sinks (`feed:<dir>`, `misp:<url>`). */
  readonly id: string;
  /**
   * Makes the sink hold every event's changes (durably, before it returns; an index of them may wait for
   * `finishDelivery`). Throws a Tpot2MispError when it cannot; the caller then commits nothing, and a later run sends
   * the same changes again.
   */
  apply(changes: readonly EventChanges[]): Promise<EventDelivery[]>;
  /**
   * Called once after the last `apply` of a delivery, before the caller commits it: writes what the sink keeps about
   * all its events at once (the feed's manifest.json), instead of once per `apply`.
   */
  finishDelivery?(): Promise<void>;
  /**
   * At most this many indicators per `apply` call: the caller then never holds one big event's MISP JSON whole.
   * Absent: a whole event per call (a sink that rewrites the event on every call, like the feed, wants that).
   */
  readonly partSize?: number;
  /**
   * Publishes an event the sink holds (sinks without a notion of publishing leave this out); `deleted` when the sink
   * no longer holds it (an analyst deleted it in MISP).
   */
  publish?(eventUuid: string): Promise<'published' | 'deleted'>;
  close(): Promise<void>;
}
