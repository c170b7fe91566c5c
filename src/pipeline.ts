// Wires source → normalize → extract → aggregate → build → sink, and owns the commit protocol:
// a checkpoint moves only after the sink accepted everything read up to it.
import type { Logger } from 'pino';
import { Aggregator } from './aggregate.js';
import { isSkip, type AttackEvent, type SkipReason } from './attack-event.js';
import type { Enricher } from './enrichment/enricher.js';
import { AttackerIpPolicy } from './attacker-ip-policy.js';
import type { HoneypotType } from './honeypots/honeypot-type.js';
import type { Indicator } from './indicators.js';
import { honeypotFor } from './honeypots/registry.js';
import { extractIndicators } from './indicators.js';
import { buildEventChangesInParts, eventUuid, type BuildSettings, type EventChanges } from './misp/build.js';
import type { EventDelivery, Sink } from './misp/sink.js';
import { honeypotLabel, type Metrics, type Mode } from './observability/metrics.js';
import type { RunReport } from './report.js';
import type { JsonValue, Source } from './sources/source.js';
import { deliveredOf, type DeletedEvent, type DeliveredChanges, type StateStore } from './state.js';

export interface PipelineOptions {
  readonly source: Source;
  readonly sink: Sink;
  readonly state: StateStore;
  readonly report: RunReport;
  readonly log: Logger;
  readonly honeypots: readonly HoneypotType[];
  readonly build: BuildSettings;
  readonly ipPolicy: { readonly sensorIps: readonly string[]; readonly excludeIps: readonly string[]; readonly allowPrivate: boolean };
  /** Unique indicators held before an intermediate flush (bounds memory on huge reads). */
  readonly flushThreshold?: number;
  /** STATE_RETENTION_DAYS: the ledger forgets the items of events this many days older than the newest (0: never). */
  readonly retentionDays?: number;
  readonly metrics?: Metrics;
  readonly mode?: Mode;
  /** Once aborted (SIGTERM/SIGINT), reading stops after the current batch; what was read is delivered and committed. */
  readonly stop?: AbortSignal;
  /**
   * Enrichment: builds use its answers, new indicators queue for it, and after the source is read a pass of at
   * most `budgetMs` asks the providers (`wait`: for quota slots too); answered indicators are then re-delivered.
   */
  readonly enrichment?: {
    readonly enricher: Enricher;
    readonly budgetMs: number;
    readonly wait: boolean;
    /** Ends the pass at once (default: `stop`); realtime mode cuts the pass but still drains the outbox. */
    readonly stop?: AbortSignal;
  };
}

const SOURCE_KIND: Readonly<Record<Mode, string>> = { batch: 'elasticsearch', realtime: 'hpfeeds', files: 'files' };

export interface PipelineResult {
  readonly records: number;
  readonly attacks: number;
  readonly eventsDelivered: number;
  /** `stop` ended reading before the source was read to the end: what was read is delivered, the rest is not. */
  readonly stopped: boolean;
}

const DEFAULT_FLUSH_THRESHOLD = 50_000;
const FUTURE_SLACK_MS = 86_400_000;

export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const { source, sink, state, report, log } = options;
  const enabled = new Set<string>(options.honeypots);
  const policy = new AttackerIpPolicy({
    sensorIps: options.ipPolicy.sensorIps,
    excludeIps: options.ipPolicy.excludeIps,
    allowPrivate: options.ipPolicy.allowPrivate,
  });
  const aggregator = new Aggregator();
  const threshold = options.flushThreshold ?? DEFAULT_FLUSH_THRESHOLD;
  if (options.retentionDays !== undefined) {
    const { forgotten, keptFrom } = state.forgetOldItems(options.retentionDays);
    if (forgotten > 0) log.info({ forgotten, keptFrom }, 'The state file forgot what MISP holds of events older than STATE_RETENTION_DAYS.');
  }
  let records = 0;
  let attacks = 0;
  let eventsDelivered = 0;
  let pendingCursor: JsonValue | undefined;
  let newestAttack = 0;
  let stopped = false;
  const { metrics } = options;
  const mode = options.mode ?? 'files';
  // What is read until the next commit is counted apart and joins the report only with that commit: after a failed
  // flush the same documents are read again (realtime retries from the outbox) and must not count twice. The
  // counters that count documents or attacks (not requests) do the same.
  let counts = report.scratch();
  const uncommitted = new PendingCounts();
  const skip = (honeypot: string | undefined, reason: SkipReason): void => {
    counts.skip(honeypot, reason);
    uncommitted.skip(honeypotLabel(honeypot ?? 'unknown'), reason);
  };
  // Latest plausible attack time, moved on with every batch read (a day of slack: a naive local time read as UTC).
  let horizon = Date.now() + FUTURE_SLACK_MS;
  /** An attack event, whichever source it came from: its indicators into the day's bucket. */
  const take = (attack: AttackEvent): void => {
    if (attack.time > horizon) {
      skip(attack.honeypot, 'future_timestamp');
      return;
    }
    const observation = extractIndicators(attack, policy);
    if ('skip' in observation) {
      skip(attack.honeypot, observation.skip);
      return;
    }
    counts.drop(observation.dropped);
    counts.origin(attack.origin);
    counts.attacks++;
    attacks++;
    uncommitted.attack(honeypotLabel(attack.honeypot));
    newestAttack = Math.max(newestAttack, attack.time);
    aggregator.add(attack.honeypot, attack.time, observation);
  };

  const flush = async (): Promise<void> => {
    // One part at a time: its MISP JSON is built, delivered and reduced to ledger rows, so memory holds one or two
    // parts, not the whole flush. The next part is built while the previous one is on the wire (MISP is the slow
    // side); parts still reach the sink in order, so an event exists before its later parts arrive. The ledger
    // and the checkpoint are committed together, once, after the sink accepted everything.
    const delivered: DeliveredChanges[] = [];
    // Events the sink refused as deleted in MISP: recorded with this flush's commit, and nothing more is sent to them.
    const deleted = new Map<string, DeletedEvent>();
    let attributesSent = 0;
    let objectsSent = 0;
    const eventsTouched = new Set<string>();
    const enricher = options.enrichment?.enricher;
    const deliver = async (built: EventChanges): Promise<void> => {
      let delivery: EventDelivery;
      try {
        [delivery] = (await sink.apply([built])) as [EventDelivery];
        metrics?.setHealth(true);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        metrics?.setHealth(false, `the sink (${sink.id.split(':')[0]}) failed: ${typeof code === 'string' ? code : 'error'}`);
        throw error;
      }
      counts.delivered(built, delivery);
      if (delivery.eventDeleted === true) {
        deleted.set(built.event.uuid, { uuid: built.event.uuid, honeypot: built.honeypot, day: built.day });
        log.warn(
          { event: built.event.uuid, honeypot: built.honeypot, day: built.day },
          'MISP no longer holds this daily event and will not take it again: an analyst deleted it (or MISP_KEY\'s organisation cannot see it). Its new attacks are not sent, now or later.',
        );
        return;
      }
      delivered.push(deliveredOf(built));
      attributesSent += built.attributes.length;
      objectsSent += built.objects.length;
      eventsTouched.add(built.event.uuid);
    };
    let inFlight: Promise<void> | undefined;
    enricher?.beginFlush();
    try {
      for (const bucket of aggregator.buckets()) {
        counts.aggregated(bucket);
        const uuid = eventUuid(options.build.uuidNamespace, bucket.honeypot, bucket.day);
        // Deleted in MISP: nothing of it is sent, so nothing of it is worth a provider's quota either.
        if (state.isDeleted(sink.id, uuid)) {
          counts.eventDeleted(bucket.honeypot, bucket.day, uuid);
          continue;
        }
        if (enricher !== undefined) {
          for (const { indicator, tally } of bucket.values()) if (tally.count > 0) enricher.consider(bucket.honeypot, bucket.day, indicator, tally.count);
        }
        const ledger = state.ledger(sink.id, uuid);
        for (const built of buildEventChangesInParts(bucket, ledger, options.build, sink.partSize ?? Number.POSITIVE_INFINITY, enricher)) {
          await inFlight;
          // The previous part found the event deleted: the rest of it stays here too.
          if (deleted.has(built.event.uuid)) break;
          inFlight = deliver(built);
          // Awaited before the next part or the commit; this only keeps a failure from counting as unhandled meanwhile.
          inFlight.catch(() => undefined);
        }
      }
    } catch (error) {
      // A build that fails while a part is on the wire: that delivery settles first (nothing may still be writing to
      // MISP once the flush has failed, or a retry could overtake it), and a sink failure is the one reported.
      await inFlight;
      throw error;
    }
    await inFlight;
    await sink.finishDelivery?.();
    state.commit(sink.id, delivered, pendingCursor === undefined ? undefined : { source: source.name, cursor: pendingCursor }, Date.now(), enricher?.takeNotes(), [...deleted.values()]);
    enricher?.endFlush();
    report.absorb(counts);
    counts = report.scratch();
    if (metrics !== undefined) uncommitted.addTo(metrics, mode);
    uncommitted.clear();
    if (newestAttack > 0) metrics?.checkpointLag.set({ source: SOURCE_KIND[mode] }, Math.max(0, (Date.now() - newestAttack) / 1000));
    eventsDelivered += eventsTouched.size;
    if (eventsTouched.size > 0) log.info({ events: eventsTouched.size, attributes: attributesSent, objects: objectsSent }, 'Delivered changes to the sink.');
    aggregator.clear();
    pendingCursor = undefined;
  };

  for await (const batch of source.batches(state.checkpoint(source.name))) {
    horizon = Date.now() + FUTURE_SLACK_MS;
    // Read once per run in batch and files modes; realtime counts a message when it arrives (realtime.ts), as a
    // failed flush reads the outbox again.
    if (mode !== 'realtime') metrics?.documentsReceived.inc({ source: SOURCE_KIND[mode] }, batch.records.length);
    for (const record of batch.records) {
      records++;
      counts.records++;
      if ('skip' in record) {
        skip(record.honeypot, record.skip);
        continue;
      }
      if ('attack' in record) {
        if (enabled.has(record.attack.honeypot)) take(record.attack);
        else skip(record.attack.honeypot, 'excluded_type');
        continue;
      }
      const type = typeof record.doc['type'] === 'string' ? record.doc['type'] : undefined;
      const module = type === undefined ? undefined : honeypotFor(type);
      if (module === undefined) {
        skip(undefined, 'unknown_type');
        continue;
      }
      if (!enabled.has(module.type)) {
        skip(module.type, 'excluded_type');
        continue;
      }
      let normalized;
      try {
        normalized = module.normalize(record.doc);
      } catch (error) {
        // A normalizer bug must not stop the run; the document is counted and the bug logged once per type.
        log.debug({ honeypot: module.type, err: error }, 'Normalizer failed on a document.');
        skip(module.type, 'malformed');
        continue;
      }
      if (isSkip(normalized)) {
        skip(module.type, normalized.skip);
        continue;
      }
      take(normalized);
    }
    pendingCursor = batch.cursor;
    if (aggregator.size >= threshold) await flush();
    if (options.stop?.aborted) {
      stopped = true;
      break;
    }
  }
  await flush();
  if (options.enrichment !== undefined) {
    const { enricher, budgetMs, wait } = options.enrichment;
    await enricher.pass(budgetMs, wait, options.enrichment.stop ?? options.stop);
    // What the pass learned goes to MISP now, attached to indicators delivered earlier (this run or before).
    const { targets, subjects } = enricher.takeRedeliveries();
    for (const target of targets) {
      const indicator = parseIndicator(target.indicator);
      if (indicator !== undefined && enabled.has(target.honeypot)) aggregator.touch(target.honeypot as HoneypotType, target.day, indicator);
    }
    await flush();
    enricher.redelivered(subjects);
    report.enrichment(enricher.stats());
  }
  return { records, attacks, eventsDelivered, stopped };
}

/** Attacks and skipped documents per metric label since the last commit: they reach the counters with it. */
class PendingCounts {
  readonly #attacks = new Map<string, number>();
  readonly #skipped = new Map<string, Map<SkipReason, number>>();

  attack(honeypot: string): void {
    this.#attacks.set(honeypot, (this.#attacks.get(honeypot) ?? 0) + 1);
  }

  skip(honeypot: string, reason: SkipReason): void {
    let reasons = this.#skipped.get(honeypot);
    if (reasons === undefined) this.#skipped.set(honeypot, (reasons = new Map()));
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }

  addTo(metrics: Metrics, mode: Mode): void {
    for (const [honeypot, count] of this.#attacks) metrics.eventsProcessed.inc({ mode, honeypot }, count);
    for (const [honeypot, reasons] of this.#skipped) for (const [reason, count] of reasons) metrics.documentsSkipped.inc({ honeypot, reason }, count);
  }

  clear(): void {
    this.#attacks.clear();
    this.#skipped.clear();
  }
}

/** An indicator the state store kept as JSON (its own writing; a damaged row is skipped, not fatal). */
function parseIndicator(text: string): Indicator | undefined {
  try {
    const value = JSON.parse(text) as Partial<Indicator> | null;
    if (value === null || typeof value !== 'object') return undefined;
    if (value.kind === 'attribute' && typeof value.type === 'string' && typeof value.value === 'string') return value as Indicator;
    if (value.kind === 'object' && typeof value.template === 'string' && typeof value.key === 'string' && Array.isArray(value.attributes)) return value as Indicator;
    return undefined;
  } catch {
    return undefined;
  }
}
