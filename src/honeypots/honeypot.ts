// The contract of one honeypot module: where its native logs live, how Logstash reshapes them,
// and how a (Logstash-shaped) document becomes an AttackEvent.
import type { NormalizeResult } from '../attack-event.js';
import type { Doc } from './fields.js';
import type { HoneypotType } from './honeypot-type.js';

/** One native log file (or family of files) under the T-Pot data directory. */
export interface NativeLog {
  /** Path relative to the data directory; a `*` may stand for any run of characters in the file name. */
  readonly path: string;
  /**
   * `json`: one JSON object per line. `csv`: a header line, then rows (mapped to objects by header).
   * `text`: plain lines, handed over as `{ message: line }`.
   */
  readonly format: 'json' | 'csv' | 'text';
}

export interface Honeypot {
  readonly type: HoneypotType;
  /**
   * `honeypot`: attack data. `nsm`: network sensor context (only what the module says is an attack
   * is kept). `excluded`: never attacker data (T-Pot's own web UI log).
   */
  readonly role: 'honeypot' | 'nsm' | 'excluded';
  /** For the `honeypot-basic:interaction-level` tag. */
  readonly interaction: 'high' | 'medium' | 'low' | 'none';
  readonly logs: readonly NativeLog[];
  /**
   * Top-level `_source` fields `normalize` reads (for Elasticsearch `_source` filtering).
   * `@timestamp`, `type`, `t-pot_ip_ext` and `t-pot_ip_int` are always fetched and need not be listed.
   */
  readonly fields: readonly string[];
  /**
   * Batch mode: which of the type's Elasticsearch documents are worth fetching. Absent: all of them.
   * `{ field, values }`: only those whose `<field>.keyword` is one of `values` (the rest is context that
   * `normalize` skips anyway); `'none'`: nothing, the type never yields an attack.
   */
  readonly esSelect?: { readonly field: string; readonly values: readonly string[] } | 'none';
  /**
   * Turns one native log record into the document T-Pot's Logstash would index: its renames, its
   * added fields and an ISO `@timestamp` from the native time (the common fields `type`, `path` and
   * `t-pot_*` are added by the caller). Returns undefined where Logstash would drop the record.
   * `path` is the log file's path relative to the data directory.
   */
  fromNative(record: Doc, path: string): Doc | undefined;
  /** Turns a Logstash-shaped document into an attack event, or says why it is skipped. */
  normalize(doc: Doc): NormalizeResult;
}
