// One batch pass (Elasticsearch or T-Pot's files): read everything new, deliver it, enrich within the time
// budget, publish what is due and write the report. The CLI calls it once or on an interval; tests call it
// in-process with a test clock.
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createEnricher } from './enrichment/setup.js';
import type { WaitingClock } from './enrichment/quota.js';
import { ConfigError, Tpot2MispError } from './errors.js';
import { honeypotFor } from './honeypots/registry.js';
import type { Honeypot } from './honeypots/honeypot.js';
import type { BuildSettings } from './misp/build.js';
import { FeedSink } from './misp/feed.js';
import { MispRestSink } from './misp/rest-sink.js';
import type { Sink } from './misp/sink.js';
import { displayUrl as withoutPassword } from './observability/display-url.js';
import { maskSecrets } from './observability/log.js';
import type { Metrics } from './observability/metrics.js';
import { progressReporter, type ProgressListener } from './observability/progress.js';
import { runPipeline, type PipelineOptions } from './pipeline.js';
import { publishDueEvents } from './publisher.js';
import { RunReport, type RunFailure } from './report.js';
import { createElasticsearchSource } from './sources/elasticsearch.js';
import { displayUrl, esClientFor } from './sources/elasticsearch/es-client.js';
import { createFilesSource } from './sources/files.js';
import type { Source } from './sources/source.js';
import { StateStore } from './state.js';

export interface RunOnceOptions {
  /** Once aborted (SIGTERM/SIGINT), reading stops after the current batch, which is delivered and committed. */
  readonly stop?: AbortSignal;
  /** The clock enrichment schedules by (default: the system's). */
  readonly clock?: WaitingClock;
}

/** An explicit read window (`--since`/`--until`), batch mode only. */
export interface Window {
  readonly since?: number;
  readonly until?: number;
}

export function createSource(config: Config, log: Logger, window: Window, onProgress?: ProgressListener): Source {
  const honeypots = config.honeypots.map((type) => honeypotFor(type)).filter((m): m is Honeypot => m !== undefined);
  if (config.mode === 'batch') {
    const es = config.elasticsearch;
    return createElasticsearchSource({
      client: esClientFor(es),
      url: es.url ?? '',
      honeypots,
      lookbackDays: config.lookbackDays,
      pageSize: es.pageSize,
      overlapMs: es.overlapMinutes * 60_000,
      ...window,
      onConnected: (info) => log.info({ version: info.version, product: info.product, url: displayUrl(es.url ?? '') }, 'Connected to Elasticsearch.'),
      ...(onProgress !== undefined && { onProgress }),
    });
  }
  if (config.mode === 'files') {
    let isDirectory = false;
    try {
      isDirectory = statSync(config.tpotDataDir).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) {
      throw new Tpot2MispError('T2M_SOURCE_IO', `the T-Pot data directory ${config.tpotDataDir} does not exist or is not a directory`, {
        hint: 'set TPOT_DATA_DIR (or --data-dir) to the folder holding cowrie/, dionaea/, … (usually ~/tpotce/data)',
      });
    }
    return createFilesSource({ dataDir: config.tpotDataDir, honeypots });
  }
  // Realtime mode reads the outbox through runRealtime, never through here.
  throw new Tpot2MispError('T2M_CONFIG_INVALID', `no batch source for COLLECTION_MODE=${config.mode}`);
}

export function createSink(config: Config, metrics?: Metrics, log?: Logger): Sink {
  if (config.output === 'feed') {
    return new FeedSink(config.misp.feedDir, { name: config.misp.orgName, uuid: config.misp.orgUuid }, { ...(log !== undefined && { onWarning: (message: string) => log.warn(message) }) });
  }
  return new MispRestSink({
    url: config.misp.url ?? '',
    key: config.misp.key ?? '',
    verifySsl: config.misp.verifySsl,
    batchSize: config.misp.batchSize,
    concurrency: config.misp.concurrency,
    timeoutMs: config.misp.timeoutSeconds * 1000,
    retry: { maxRetries: config.misp.retries },
    ...(config.misp.caFile !== undefined && { caFile: config.misp.caFile }),
    ...(metrics !== undefined && { onResponse: (endpoint: string, status: number) => metrics.mispRequests.inc({ endpoint, status: String(status) }) }),
  });
}

export function buildSettings(config: Config): BuildSettings {
  return { uuidNamespace: config.uuidNamespace, distribution: config.misp.distribution, threatLevel: config.misp.threatLevel, analysis: config.misp.analysis, tags: config.misp.tags };
}

export function ipPolicy(config: Config): PipelineOptions['ipPolicy'] {
  return { sensorIps: config.sensorIps, excludeIps: config.excludeIps, allowPrivate: config.allowPrivateIps };
}

/** How one batch pass ended. */
export interface RunResult {
  /** What was delivered and committed: with `stopped` or `failed`, only part of what was new. */
  readonly report: RunReport;
  /** The report files written: none when the report is off or could not be written (a warning said why). */
  readonly reportFiles: readonly string[];
  /** SIGTERM/SIGINT ended reading early: what was read is delivered and committed, the rest waits for the next run. */
  readonly stopped: boolean;
  /** The run failed: what was committed before the failure stays (and is in the report); the next run reads the rest. */
  readonly failed?: { readonly error: unknown };
}

/** One pass over the source: everything new goes to the sink; returns the report, throws when the run failed. */
export async function runOnce(config: Config, log: Logger, window: Window, metrics: Metrics, options: RunOnceOptions = {}): Promise<RunReport> {
  const result = await runBatch(config, log, window, metrics, options);
  if (result.failed !== undefined) throw result.failed.error;
  return result.report;
}

/**
 * One pass over the source, which says how it ended instead of throwing once reading began: the report is written
 * whatever happened (a failed run must not leave the previous report looking current, and what an intermediate commit
 * delivered before the failure belongs in one). Opening the state database or a sink that cannot exist still throws.
 */
export async function runBatch(config: Config, log: Logger, window: Window, metrics: Metrics, options: RunOnceOptions = {}): Promise<RunResult> {
  const { stop } = options;
  const state = StateStore.open(config.stateDb);
  const sink = createSink(config, metrics, log);
  const enricher = createEnricher(config, state, log, metrics, options.clock);
  const endTimer = metrics.processingDuration.startTimer({ mode: config.mode });
  const progress = config.mode === 'batch' ? progressReporter('Elasticsearch', log) : undefined;
  let source: Source | undefined;
  let report: RunReport | undefined;
  let stopped = false;
  let failed: { error: unknown } | undefined;
  try {
    source = createSource(config, log, window, progress?.onProgress);
    report = RunReport.forRun(config, source.name, sink.id);
    const result = await runPipeline({
      source,
      sink,
      state,
      report,
      log,
      honeypots: config.honeypots,
      build: buildSettings(config),
      ipPolicy: ipPolicy(config),
      flushThreshold: config.maxPendingIndicators,
      retentionDays: config.stateRetentionDays,
      metrics,
      mode: config.mode,
      ...(stop !== undefined && { stop }),
      ...(enricher !== undefined && { enrichment: { enricher, budgetMs: config.enrichment.maxSeconds * 1000, wait: true } }),
    });
    stopped = result.stopped;
    endTimer();
    if (config.misp.autoPublish) await publishDueEvents({ state, sink, policy: { delaySeconds: config.misp.publishDelaySeconds }, log, metrics });
  } catch (error) {
    failed = { error };
  } finally {
    progress?.done();
    await source?.close();
    await enricher?.close();
    await sink.close();
    state.close();
  }
  // A source that could not even be opened (files: no data directory) still gets its report: the run failed.
  report ??= RunReport.forRun(config, sourceLabel(config), sink.id);
  if (stopped) log.warn('Stopped by a signal before the source was read to the end: this run (and its report) covers only part of the new data; the next run reads the rest.');
  // The report says how the run ended: a reader of report.json/html alone must not take a partial run for a whole one.
  report.ended(failed !== undefined ? { outcome: 'failed', failure: failureFor(failed.error, config) } : { outcome: stopped ? 'stopped' : 'completed' });
  const reportFiles = config.report.enabled ? writeReport(report, config, log) : [];
  return { report, reportFiles, stopped, ...(failed !== undefined && { failed }) };
}

/** Writes the validation report; a failure is only a warning (the data was delivered and committed already). */
export function writeReport(report: RunReport, config: Config, log: Logger): string[] {
  try {
    return report.write(config.report.dir, config.report.formats);
  } catch (error) {
    const reason = (error as { code?: unknown }).code;
    log.warn(
      { err: error, dir: config.report.dir, ...(typeof reason === 'string' && { reason }) },
      `Could not write the validation report into VALIDATION_REPORT_DIR=${config.report.dir}${typeof reason === 'string' ? ` (${reason})` : ''}: set VALIDATION_REPORT_DIR to a writable directory (or VALIDATION_REPORT_ENABLED=false); delivery does not depend on it.`,
    );
    return [];
  }
}

/** A failure as the report keeps it: code, message and hint, every secret of the settings masked (the report masks URL passwords). */
export function failureFor(error: unknown, config: Pick<Config, 'secrets'>): RunFailure {
  const mask = (text: string) => maskSecrets(text, config.secrets);
  if (error instanceof Tpot2MispError) return { code: error.code, message: mask(error.message), ...(error.hint !== undefined && { hint: mask(error.hint) }) };
  return { code: 'unexpected', message: mask(error instanceof Error ? error.message : String(error)) };
}

/** What the report names as the source when the source itself could not be opened. */
function sourceLabel(config: Config): string {
  return config.mode === 'files' ? `files:${config.tpotDataDir}` : `elasticsearch:${withoutPassword(config.elasticsearch.url ?? '')}`;
}

export interface RepeatOptions extends RunOnceOptions {
  /** Time from the end of one run to the start of the next; 0: one run only. */
  readonly intervalMs: number;
  /** Ends the waiting at once, and a run after its current batch (SIGTERM/SIGINT). */
  readonly stop: AbortSignal;
  /** Waits `ms`, or less when `signal` aborts; resolves true when the time passed (default: a timer). */
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<boolean>;
  /** Every run's result as it ends, failed ones too (the CLI prints its summary). */
  readonly onResult?: (result: RunResult) => void;
}

/**
 * Runs once, then (with `intervalMs`) again and again until `stop`. Periodic runs are unattended: a run that fails
 * because MISP or Elasticsearch is down, refuses the key for now, or the disk is full leaves a backlog that a later
 * run delivers (nothing is committed past what was delivered), so it is logged with its code and hint, /healthz turns
 * degraded, and the next run comes at the next interval; exiting would only start a restart loop. Settings and a
 * damaged state database do not heal by waiting: they end it (thrown). A single run (intervalMs 0) throws its failure.
 */
export async function runRepeatedly(config: Config, log: Logger, window: Window, metrics: Metrics, options: RepeatOptions): Promise<void> {
  const { intervalMs, stop } = options;
  const wait = options.wait ?? waitFor;
  const periodic = intervalMs > 0;
  for (;;) {
    let failure: unknown;
    let failed = false;
    try {
      const result = await runBatch(config, log, window, metrics, options);
      options.onResult?.(result);
      if (result.failed !== undefined) {
        failed = true;
        failure = result.failed.error;
      }
    } catch (error) {
      failed = true;
      failure = error;
    }
    if (failed) {
      if (!periodic || !healsByWaiting(failure)) throw failure;
      const code = failure instanceof Tpot2MispError ? failure.code : 'unexpected';
      const hint = failure instanceof Tpot2MispError ? failure.hint : undefined;
      log.error({ err: failure, code, ...(hint !== undefined && { hint }) }, `The run failed (${code}); the next run, in ${duration(intervalMs)}, goes on from the last commit.`);
      metrics.setHealth(false, `the last run failed: ${code}`);
    } else {
      metrics.setHealth(true);
    }
    if (!periodic || stop.aborted) return;
    log.info({ hours: intervalMs / 3_600_000 }, 'Waiting for the next run (BATCH_INTERVAL_HOURS).');
    if (!(await wait(intervalMs, stop))) return;
  }
}

/** False for what waiting cannot fix: settings, and a state database that is damaged or from a newer version. */
function healsByWaiting(error: unknown): boolean {
  if (error instanceof ConfigError) return false;
  if (error instanceof Tpot2MispError) return error.code !== 'T2M_CONFIG_INVALID' && error.code !== 'T2M_STATE_CORRUPT';
  // SQLite finding the file damaged mid-run (not wrapped by StateStore.open).
  const code = (error as { code?: unknown } | null)?.code;
  return code !== 'SQLITE_CORRUPT' && code !== 'SQLITE_NOTADB';
}

/** Node's timers hold at most 2^31-1 ms (24.8 days; longer ones fire at once): longer waits go in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

async function waitFor(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    for (let left = ms; left > 0; left -= MAX_TIMER_MS) await sleep(Math.min(left, MAX_TIMER_MS), undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function duration(ms: number): string {
  if (ms >= 3_600_000) return `${Number((ms / 3_600_000).toFixed(2))} h`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}
