// Enrichment inside a run: what the build may use (latest answers), what waits for an answer (a persistent
// queue, most active first), and a time-boxed pass that asks providers within their quotas. Delivery never
// waits for it: indicators go to MISP at once; their enrichment follows when the answer arrives.
import type { Logger } from 'pino';
import type { EnrichmentView } from '../misp/build.js';
import type { HoneypotType } from '../honeypots/honeypot-type.js';
import type { Indicator } from '../indicators.js';
import type { Metrics } from '../observability/metrics.js';
import type { EnrichmentNotes, EnrichmentQueueRow, EnrichmentTargetRow, StateStore } from '../state.js';
import { utcDay } from '../time.js';
import type { EnrichmentCache } from './cache.js';
import type { ProviderAnswers } from './misp-render.js';
import { EnrichmentAuthError, EnrichmentError, EnrichmentRateLimitError, type EnrichmentProvider, type ProviderName } from './provider.js';
import type { QuotaLimiter, WaitingClock } from './quota.js';
import { providerCovers, subjectKey, subjectOf, type EnrichmentSubject } from './subject.js';

/** What one provider did in a run (for the report). */
export interface ProviderRunStats {
  /** Requests sent. */
  requests: number;
  /** Answers received (found + not found). */
  found: number;
  notFound: number;
  /** Indicators whose fresh cached answer spared a request. */
  cacheHits: number;
  /** Requests that brought no answer. */
  errors: number;
  /** Indicators still waiting at the end of the run. */
  queued: number;
  /** Why the provider was switched off in this run (a rejected key), if it was. */
  disabled?: string;
}

export interface EnricherOptions {
  readonly state: StateStore;
  readonly providers: readonly EnrichmentProvider[];
  readonly cache: EnrichmentCache;
  readonly quota: QuotaLimiter;
  readonly clock: WaitingClock;
  readonly log: Logger;
  readonly metrics?: Metrics;
  readonly dropBenign: boolean;
}

/** Queue rows read per provider at a time. */
const PAGE = 100;
/** Indicators re-delivered per pass at most (the rest follow in the next pass). */
const REDELIVERY_BATCH = 5_000;
/** Unavailable answers in a row after which a provider is left alone for the rest of the pass. */
const MAX_CONSECUTIVE_FAILURES = 3;
/** Expired answers are kept this long past their TTL (they still describe what MISP holds). */
const EXPIRED_ANSWER_GRACE_MS = 30 * 86_400_000;
/**
 * A queued indicator not seen again for this long is dropped: with a free quota far below a busy sensor's
 * inflow, the least active would otherwise wait for ever and the queue would only grow.
 */
export const QUEUE_FORGET_MS = 14 * 86_400_000;

export class Enricher implements EnrichmentView {
  readonly dropBenign: boolean;
  readonly #options: EnricherOptions;
  readonly #providers: readonly EnrichmentProvider[];
  /** Providers switched off for the life of the process (a rejected key), with the reason. */
  readonly #disabled = new Map<ProviderName, string>();
  /** Latest answers per subject, for the builds of one flush (cleared after each). */
  readonly #answers = new Map<string, ProviderAnswers>();
  /** Subjects already considered in this flush (an IP sits in many buckets), with the providers queued for it. */
  readonly #considered = new Map<string, readonly ProviderName[]>();
  #queue: (EnrichmentQueueRow & { readonly provider: string })[] = [];
  #targets: EnrichmentTargetRow[] = [];
  #stats = new Map<ProviderName, ProviderRunStats>();
  /** The UTC day of the last purge of old answers and queue rows (a realtime process runs for months). */
  #maintainedDay = '';

  constructor(options: EnricherOptions) {
    this.#options = options;
    this.#providers = options.providers;
    this.dropBenign = options.dropBenign;
    this.resetStats();
  }

  /** Once per UTC day (at the first pass of a run, or of the day in realtime): old answers and stale queue rows go. */
  #maintain(): void {
    const { cache, state, clock, log } = this.#options;
    const today = utcDay(clock.now());
    if (today === this.#maintainedDay) return;
    this.#maintainedDay = today;
    cache.purgeExpired(EXPIRED_ANSWER_GRACE_MS);
    const forgotten = state.pruneEnrichmentQueue(clock.now() - QUEUE_FORGET_MS);
    if (forgotten > 0) log.info({ forgotten }, 'Enrichment: dropped queued indicators not seen for 14 days.');
  }

  /** Starts a new report period (one batch run, or a UTC day of realtime flushes). */
  resetStats(): void {
    this.#stats = new Map(this.#providers.map((p) => [p.name, { requests: 0, found: 0, notFound: 0, cacheHits: 0, errors: 0, queued: 0 }]));
  }

  /** Per-provider figures since the last resetStats, with the queue sizes now. */
  stats(): Readonly<Record<string, ProviderRunStats>> {
    const out: Record<string, ProviderRunStats> = {};
    for (const provider of this.#providers) {
      const stats = this.#stats.get(provider.name)!;
      stats.queued = this.#options.state.enrichmentQueueSize(provider.name);
      const disabled = this.#disabled.get(provider.name);
      out[provider.name] = { ...stats, ...(disabled !== undefined && { disabled }) };
    }
    return out;
  }

  /** EnrichmentView: the latest answers about `indicator`'s subject (fresh or not), for the build. */
  answersFor(indicator: Indicator): { readonly subject: EnrichmentSubject; readonly answers: ProviderAnswers } | undefined {
    const subject = subjectOf(indicator);
    if (subject === undefined) return undefined;
    const key = subjectKey(subject);
    let answers = this.#answers.get(key);
    if (answers === undefined) {
      answers = {};
      for (const provider of this.#providers) {
        if (!providerCovers(provider.name, subject)) continue;
        const latest = this.#options.cache.latest(provider.name, subject.kind, subject.value);
        if (latest !== undefined) answers[provider.name] = { answer: latest.answer, fetchedAt: latest.fetchedAt, fresh: latest.fresh };
      }
      this.#answers.set(key, answers);
    }
    return Object.keys(answers).length === 0 ? undefined : { subject, answers };
  }

  /**
   * Notes an indicator seen `count` times in (honeypot, day): providers without a fresh answer queue it, and
   * where it sits is remembered for re-delivery once they answer.
   */
  consider(honeypot: HoneypotType, day: string, indicator: Indicator, count: number): void {
    const subject = subjectOf(indicator);
    if (subject === undefined) return;
    const key = subjectKey(subject);
    let queued = this.#considered.get(key);
    if (queued === undefined) {
      // The same answers the build reads for this indicator (one read per subject and flush).
      const answers = this.answersFor(indicator)?.answers ?? {};
      const waiting: ProviderName[] = [];
      for (const provider of this.#providers) {
        if (this.#disabled.has(provider.name) || !providerCovers(provider.name, subject)) continue;
        if (answers[provider.name]?.fresh === true) {
          this.#stats.get(provider.name)!.cacheHits++;
          this.#options.metrics?.enrichmentCacheHits.inc({ provider: provider.name });
        } else {
          waiting.push(provider.name);
        }
      }
      queued = waiting;
      this.#considered.set(key, queued);
    }
    // Activity adds up over buckets: the same attacker on several honeypots or days is more active.
    for (const provider of queued) this.#queue.push({ provider, kind: subject.kind, value: subject.value, activity: count });
    if (queued.length > 0) this.#targets.push({ kind: subject.kind, value: subject.value, honeypot, day, indicator: JSON.stringify(indicator) });
  }

  /** Starts a flush: notes of a flush that failed before its commit are dropped (the same data comes again). */
  beginFlush(): void {
    this.#queue = [];
    this.#targets = [];
    this.#answers.clear();
    this.#considered.clear();
  }

  /** What consider() noted, for the flush's commit (the same transaction as the ledger and checkpoint). */
  takeNotes(): EnrichmentNotes {
    const notes = { queue: this.#queue, targets: this.#targets, now: this.#options.clock.now() };
    this.#queue = [];
    this.#targets = [];
    return notes;
  }

  /** After the flush's commit: forgets its memos. */
  endFlush(): void {
    this.#answers.clear();
    this.#considered.clear();
    this.#updateGauges();
  }

  /**
   * Asks the providers for queued indicators, most active first, for at most `budgetMs` of the clock. With
   * `wait`, a provider out of slots waits for the next one while the budget lasts; without, it stops.
   * Providers run side by side: a slow or paused one does not hold up the others.
   */
  async pass(budgetMs: number, wait: boolean, stop?: AbortSignal): Promise<void> {
    this.#maintain();
    const deadline = this.#options.clock.now() + Math.max(0, budgetMs);
    await Promise.all(this.#providers.map((provider) => this.#drain(provider, deadline, wait, stop)));
    this.#updateGauges();
  }

  /**
   * Where answered indicators sit, to be rebuilt with their enrichment: those answered since their last
   * re-delivery (by this pass, or by a run interrupted before re-delivering), a bounded number at a time.
   */
  takeRedeliveries(): { readonly targets: readonly EnrichmentTargetRow[]; readonly subjects: readonly EnrichmentSubject[] } {
    const subjects = this.#options.state.answeredEnrichmentSubjects(REDELIVERY_BATCH).map((s) => ({ kind: s.kind as EnrichmentSubject['kind'], value: s.value }));
    const targets = subjects.flatMap((s) => this.#options.state.enrichmentTargets(s.kind, s.value));
    return { targets, subjects };
  }

  /** After the sink accepted the re-deliveries: their targets are no longer due. */
  redelivered(subjects: readonly EnrichmentSubject[]): void {
    this.#options.state.releaseEnrichmentTargets(subjects);
  }

  async close(): Promise<void> {
    await Promise.all(this.#providers.map((p) => p.close()));
  }

  async #drain(provider: EnrichmentProvider, deadline: number, wait: boolean, stop: AbortSignal | undefined): Promise<void> {
    const { state, quota, clock, cache, log, metrics } = this.#options;
    const stats = this.#stats.get(provider.name)!;
    const skipped = new Set<string>();
    let failures = 0;
    pages: for (;;) {
      // Rows that failed this pass stay queued (for the next pass) but are not asked again now.
      const rows = state.nextEnrichment(provider.name, PAGE + skipped.size).filter((r) => !skipped.has(subjectKey(r)));
      if (rows.length === 0) return;
      for (const row of rows) {
        if (this.#disabled.has(provider.name) || clock.now() >= deadline || stop?.aborted === true) return;
        const subject: EnrichmentSubject = { kind: row.kind as EnrichmentSubject['kind'], value: row.value };
        if (cache.latest(provider.name, subject.kind, subject.value)?.fresh === true) {
          // Answered meanwhile (another run, or queued twice): no request needed.
          state.answerEnrichment(provider.name, subject.kind, subject.value);
          continue;
        }
        const slot = await this.#slot(provider.name, deadline, wait, stop);
        if (!slot) return;
        stats.requests++;
        try {
          const answer = await provider.lookup(subject.kind, subject.value);
          cache.put(provider.name, subject.kind, subject.value, answer);
          state.answerEnrichment(provider.name, subject.kind, subject.value);
          if (answer.status === 'found') stats.found++;
          else stats.notFound++;
          metrics?.enrichmentRequests.inc({ provider: provider.name, status: answer.status === 'found' ? '200' : '404' });
          metrics?.indicatorsEnriched.inc({ provider: provider.name });
          failures = 0;
        } catch (error) {
          stats.errors++;
          const status = error instanceof EnrichmentError && error.status !== undefined ? String(error.status) : 'network';
          metrics?.enrichmentRequests.inc({ provider: provider.name, status });
          metrics?.enrichmentErrors.inc({ provider: provider.name, status });
          if (error instanceof EnrichmentAuthError) {
            this.#disabled.set(provider.name, error.message);
            log.error({ provider: provider.name, code: error.code, hint: error.hint }, error.message);
            return;
          }
          if (error instanceof EnrichmentRateLimitError) {
            quota.pause(provider.name, error.retryAfterSeconds * 1000);
            log.warn({ provider: provider.name, seconds: error.retryAfterSeconds }, `${provider.name} answered 429: pausing it for ${error.retryAfterSeconds} s (the other providers go on).`);
            // The same indicator is asked again once the pause is over (if the budget lasts).
            continue pages;
          }
          if (error instanceof EnrichmentError && error.code === 'T2M_ENRICH_BAD_INDICATOR') {
            // The provider will never answer for this value: stop asking.
            state.dropEnrichment(provider.name, subject.kind, subject.value);
            log.debug({ provider: provider.name, kind: subject.kind, err: error }, 'The provider rejected the indicator.');
            continue;
          }
          skipped.add(subjectKey(subject));
          failures++;
          log.warn({ provider: provider.name, err: error }, `${provider.name} lookup failed; the indicator stays queued.`);
          if (failures >= MAX_CONSECUTIVE_FAILURES) {
            log.warn({ provider: provider.name }, `${provider.name} failed ${failures} times in a row: leaving it alone until the next pass.`);
            return;
          }
        }
      }
    }
  }

  /** Takes a request slot; waits for one (within the deadline) when `wait`. False: no slot in time. */
  async #slot(provider: ProviderName, deadline: number, wait: boolean, stop: AbortSignal | undefined): Promise<boolean> {
    const { quota, clock } = this.#options;
    for (;;) {
      const slot = quota.tryAcquire(provider);
      if (slot === true) return true;
      if (!wait || clock.now() + slot >= deadline || stop?.aborted === true) return false;
      // SIGTERM ends the wait at once: what was answered is still delivered before the process exits.
      await clock.sleep(slot, stop);
    }
  }

  #updateGauges(): void {
    const { metrics, quota, state } = this.#options;
    if (metrics === undefined) return;
    for (const provider of this.#providers) {
      const remaining = quota.remainingToday(provider.name);
      if (remaining !== undefined) metrics.enrichmentQuotaRemaining.set({ provider: provider.name }, remaining);
      metrics.enrichmentQueue.set({ provider: provider.name }, state.enrichmentQueueSize(provider.name));
    }
  }
}
