// Realtime mode: the HPFEEDS client writes every message to the outbox the moment it arrives; a flush
// loop, every REALTIME_FLUSH_SECONDS, runs the pipeline over the outbox into the sink. Reading never
// waits for MISP: MISP slow or down only grows the outbox, which drains once MISP answers again.
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Enricher } from './enrichment/enricher.js';
import type { BuildSettings } from './misp/build.js';
import type { Sink } from './misp/sink.js';
import type { Metrics } from './observability/metrics.js';
import { runPipeline, type PipelineOptions } from './pipeline.js';
import { publishDueEvents } from './publisher.js';
import { RunReport } from './report.js';
import { failureFor, writeReport } from './run-once.js';
import { utcDay } from './time.js';
import { HpfeedsClient, hpfeedsConnection } from './sources/hpfeeds/client.js';
import { createOutboxSource } from './sources/hpfeeds.js';
import type { OutboxMessage, StateStore } from './state.js';

export interface RealtimeOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly state: StateStore;
  readonly sink: Sink;
  readonly build: BuildSettings;
  readonly ipPolicy: PipelineOptions['ipPolicy'];
  /** Only drain what the outbox holds, without connecting (`--once`). */
  readonly drainOnly?: boolean;
  readonly metrics?: Metrics;
  /** Resolves when the process should stop (SIGINT/SIGTERM). */
  readonly stopSignal: Promise<void>;
  readonly enricher?: Enricher;
}

export async function runRealtime(options: RealtimeOptions): Promise<void> {
  const { config, log, state, sink, metrics } = options;
  const hp = config.hpfeeds;
  const sourceName = `hpfeeds:${hp.host ?? ''}:${hp.port}`;
  const source = createOutboxSource({
    state,
    name: sourceName,
    onUnusable: (channel, format, reason) => log.warn({ channel, format, reason }, 'HPFEEDS: a channel carries payloads that cannot be used (reported once).'),
  });

  // One validation report per UTC day of running, rewritten after every flush that did something, so analysts
  // see today's intake in VALIDATION_REPORT_DIR as in batch mode.
  let report: RunReport | undefined;
  let reportDay = '';
  const reportFor = (now: number): RunReport => {
    if (report === undefined || utcDay(now) !== reportDay) {
      reportDay = utcDay(now);
      report = RunReport.forRun(config, sourceName, sink.id);
      options.enricher?.resetStats();
    }
    return report;
  };

  // SIGTERM cuts an enrichment pass short (what was answered is still delivered); the outbox is still drained.
  const stopping = new AbortController();
  void options.stopSignal.then(() => stopping.abort());

  let flushing: Promise<void> | undefined;
  /** The last flush's failure (undefined when it delivered): `--once` exits with it. */
  let lastFailure: unknown;
  /** The failure the report file last told (rewritten when it changes, not every flush interval). */
  let reportedFailure: string | undefined;
  const flush = (): Promise<void> => {
    flushing ??= (async () => {
      const report = reportFor(Date.now());
      const endTimer = metrics?.processingDuration.startTimer({ mode: 'realtime' });
      try {
        const result = await runPipeline({
          source, sink, state, report, log, honeypots: config.honeypots, build: options.build, ipPolicy: options.ipPolicy, flushThreshold: config.maxPendingIndicators, retentionDays: config.stateRetentionDays, mode: 'realtime',
          ...(metrics !== undefined && { metrics }),
          // Never waits for quota: the next flush comes soon and asks again; at most one flush interval of requests.
          ...(options.enricher !== undefined && { enrichment: { enricher: options.enricher, budgetMs: Math.min(config.enrichment.maxSeconds, hp.flushSeconds) * 1000, wait: false, stop: stopping.signal } }),
        });
        endTimer?.();
        const checkpoint = state.checkpoint(sourceName);
        if (typeof checkpoint === 'number') state.pruneOutbox(checkpoint);
        if (result.records > 0) log.info({ messages: result.records, attacks: result.attacks, events: result.eventsDelivered, backlog: state.outboxSize }, 'Realtime flush delivered.');
        // Delivered and committed already: a report that cannot be written is only a warning.
        report.ended({ outcome: 'completed' });
        if (config.report.enabled && (result.records > 0 || result.eventsDelivered > 0 || reportedFailure !== undefined)) writeReport(report, config, log);
        reportedFailure = undefined;
        // Cheap when nothing is due (one indexed query): yesterday's events get published while we keep running.
        if (config.misp.autoPublish) await publishDueEvents({ state, sink, policy: { delaySeconds: config.misp.publishDelaySeconds }, log, ...(metrics !== undefined && { metrics }) });
        lastFailure = undefined;
      } catch (error) {
        lastFailure = error;
        // MISP down or refusing: the outbox keeps everything; the next flush tries again.
        log.warn({ err: error, backlog: state.outboxSize }, 'Realtime flush failed; the messages stay in the outbox.');
        // The report analysts look at says so too, until a flush delivers again.
        const failure = failureFor(error, config);
        const told = JSON.stringify(failure);
        if (config.report.enabled && told !== reportedFailure) {
          const report = reportFor(Date.now());
          report.ended({ outcome: 'failed', failure });
          writeReport(report, config, log);
          reportedFailure = told;
        }
      } finally {
        metrics?.outboxItems.set(state.outboxSize);
        flushing = undefined;
      }
    })();
    return flushing;
  };

  if (options.drainOnly) {
    await flush();
    // Nothing follows a drain: a failure must reach the exit status (the messages stay in the outbox).
    if (lastFailure !== undefined) throw lastFailure;
    return;
  }

  // Kept safe first: nothing else happens to a message before it is in the outbox. The messages of one read from
  // the socket arrive in one synchronous burst; they are written in one transaction right after it (a microtask:
  // before any timer, flush or other I/O), so a busy feed costs one disk sync per read, not one per message.
  let arrived: Omit<OutboxMessage, 'id'>[] = [];
  const keepArrived = (): void => {
    const messages = arrived;
    arrived = [];
    state.appendOutbox(messages);
    metrics?.outboxItems.inc(messages.length);
    // Counted once, on arrival: a flush that fails reads them from the outbox again (the pipeline counts the
    // attacks and skips only when a flush commits).
    metrics?.documentsReceived.inc({ source: 'hpfeeds' }, messages.length);
  };
  // Disconnected until the broker accepts us (the gauge exists in realtime mode only).
  metrics?.hpfeedsConnectionStatus.set(0);
  const client = new HpfeedsClient({
    ...hpfeedsConnection(hp),
    log,
    onMessage: (message) => {
      if (arrived.length === 0) queueMicrotask(keepArrived);
      arrived.push({ channel: message.channel, publisher: message.ident, payload: message.payload, receivedAt: Date.now() });
    },
    onStatus: (status) => metrics?.hpfeedsConnectionStatus.set(status === 'connected' ? 1 : 0),
  });
  client.start();
  const timer = setInterval(() => void flush(), hp.flushSeconds * 1000);
  try {
    await options.stopSignal;
  } finally {
    clearInterval(timer);
    await client.stop();
    await flushing;
    await flush();
  }
}
