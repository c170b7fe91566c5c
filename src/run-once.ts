// One batch pass (Elasticsearch or T-Pot's files): read everything new, deliver it, enrich within the time
// budget, publish what is due and write the report. The CLI calls it once or on an interval; tests call it
// in-process with a test clock.
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createEnricher } from './enrichment/setup.js';
import type { WaitingClock } from './enrichment/quota.js';
import { Tpot2MispError } from './errors.js';
import { honeypotFor } from './honeypots/registry.js';
import type { Honeypot } from './honeypots/honeypot.js';
import type { BuildSettings } from './misp/build.js';
import { FeedSink } from './misp/feed.js';
import { MispRestSink } from './misp/rest-sink.js';
import type { Sink } from './misp/sink.js';
import type { Metrics } from './observability/metrics.js';
import { progressReporter, type ProgressListener } from './observability/progress.js';
import { runPipeline, type PipelineOptions } from './pipeline.js';
import { publishDueEvents } from './publisher.js';
import { RunReport } from './report.js';
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

/** One pass over the source: everything new goes to the sink; returns the report. */
export async function runOnce(config: Config, log: Logger, window: Window, metrics: Metrics, options: RunOnceOptions = {}): Promise<RunReport> {
  const { stop } = options;
  const state = StateStore.open(config.stateDb);
  const sink = createSink(config, metrics, log);
  const enricher = createEnricher(config, state, log, metrics, options.clock);
  const endTimer = metrics.processingDuration.startTimer({ mode: config.mode });
  const progress = config.mode === 'batch' ? progressReporter('Elasticsearch', log) : undefined;
  let source: Source | undefined;
  try {
    source = createSource(config, log, window, progress?.onProgress);
    const report = RunReport.forRun(config, source.name, sink.id);
    await runPipeline({
      source,
      sink,
      state,
      report,
      log,
      honeypots: config.honeypots,
      build: buildSettings(config),
      ipPolicy: ipPolicy(config),
      flushThreshold: config.maxPendingIndicators,
      metrics,
      mode: config.mode,
      ...(stop !== undefined && { stop }),
      ...(enricher !== undefined && { enrichment: { enricher, budgetMs: config.enrichment.maxSeconds * 1000, wait: true } }),
    });
    endTimer();
    if (config.misp.autoPublish) await publishDueEvents({ state, sink, policy: { delaySeconds: config.misp.publishDelaySeconds }, log, metrics });
    if (config.report.enabled) report.write(config.report.dir, config.report.formats);
    return report;
  } finally {
    progress?.done();
    await source?.close();
    await enricher?.close();
    await sink.close();
    state.close();
  }
}

