// The `realtime` source: messages an HPFEEDS client wrote to the outbox, read in arrival order.
// Cursor: the id of the last outbox message handed over. The outbox is written before anything else
// happens to a message, so a crash, a restart or MISP being down loses nothing: the next pass resumes here.
import type { StateStore } from '../state.js';
import { parsePayload, type PayloadFormat } from './hpfeeds/payloads.js';
import type { JsonValue, Source, SourceBatch, SourceRecord } from './source.js';

export interface OutboxSourceOptions {
  readonly state: StateStore;
  /** Checkpoint key, e.g. `hpfeeds:broker:20000`. */
  readonly name: string;
  readonly batchSize?: number;
  /** Told once per (channel, format) that carried nothing usable, so operators learn of it without log floods. */
  readonly onUnusable?: (channel: string, format: PayloadFormat, reason: string) => void;
}

export function createOutboxSource(options: OutboxSourceOptions): Source {
  const batchSize = options.batchSize ?? 5_000;
  const reported = new Set<string>();
  return {
    name: options.name,
    async *batches(resume: JsonValue | undefined): AsyncIterable<SourceBatch> {
      let after = typeof resume === 'number' ? resume : 0;
      for (;;) {
        const messages = options.state.outboxAfter(after, batchSize);
        if (messages.length === 0) return;
        const records: SourceRecord[] = [];
        for (const message of messages) {
          const parsed = parsePayload(message.payload, message.receivedAt);
          if ('attacks' in parsed) {
            for (const attack of parsed.attacks) records.push({ attack });
            continue;
          }
          records.push({ skip: parsed.skip });
          const key = `${message.channel}|${parsed.format}|${parsed.skip}`;
          if (!reported.has(key) && (parsed.format === 'unknown' || parsed.skip === 'unknown_type' || parsed.skip === 'malformed')) {
            reported.add(key);
            options.onUnusable?.(message.channel, parsed.format, parsed.skip);
          }
        }
        after = messages.at(-1)!.id;
        yield { records, cursor: after };
      }
    },
    async close() {},
  };
}
