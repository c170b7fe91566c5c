// The contract of a data source: batches of Logstash-shaped documents, each with a resumable cursor.
import type { AttackEvent, SkipReason } from '../attack-event.js';
import type { Doc } from '../honeypots/fields.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * One record from a source: a document shaped like T-Pot's Elasticsearch `_source` (with `type`
 * and `@timestamp`), or a record the source could not turn into one (a garbage line), with the reason
 * and the honeypot type when the source knows it.
 */
export type SourceRecord =
  | { readonly doc: Doc }
  /** An attack a source parsed itself (HPFEEDS payloads are not shaped like Elasticsearch documents). */
  | { readonly attack: AttackEvent }
  | { readonly skip: SkipReason; readonly honeypot?: string };

export interface SourceBatch {
  readonly records: readonly SourceRecord[];
  /**
   * Where to resume after this batch once everything up to and including it has been delivered.
   * JSON-serializable; stored by the pipeline only after the sink accepted the data.
   */
  readonly cursor: JsonValue;
}

export interface Source {
  /** Checkpoint key, stable across runs (e.g. `files:/home/tpot/tpotce/data`). */
  readonly name: string;
  /** Reads from `resume` (undefined on a first run) to the current end of the data. */
  batches(resume: JsonValue | undefined): AsyncIterable<SourceBatch>;
  close(): Promise<void>;
}
