#!/usr/bin/env node
// The tpot2misp command line: run the pipeline, or the demo on bundled sample data.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { findingMark, runChecks } from './check.js';
import { loadConfig, parseDateFlag, type Config } from './config.js';
import { createEnricher } from './enrichment/setup.js';
import { ConfigError, Tpot2MispError } from './errors.js';
import { limitHeapGrowth } from './heap-growth.js';
import { createLogger, openLogger, type LoggerHandle } from './observability/log.js';
import { displayUrl } from './observability/display-url.js';
import { Metrics } from './observability/metrics.js';
import { buildSettings, createSink, ipPolicy, runRepeatedly, type RunResult, type Window } from './run-once.js';
import { runSimulation } from './simulate/simulate.js';
import { runRealtime } from './realtime.js';
import { StateStore } from './state.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

interface RunFlags {
  readonly once?: boolean;
  readonly mode?: string;
  readonly dataDir?: string;
  readonly output?: string;
  readonly feedDir?: string;
  readonly stateDb?: string;
  readonly envFile?: string;
  readonly since?: string;
  readonly until?: string;
}

interface SimulateFlags {
  readonly to: string;
  readonly dataDir?: string;
  readonly docs: string;
  readonly uniqueIps: string;
  readonly days: string;
  readonly seed: string;
  readonly end?: string;
  readonly envFile?: string;
}

function parseWindow(flags: RunFlags): Window {
  const since = parseDateFlag('--since', flags.since);
  const until = parseDateFlag('--until', flags.until);
  if (since !== undefined && until !== undefined && since >= until) throw new ConfigError([`--since must be before --until`]);
  return { ...(since !== undefined && { since }), ...(until !== undefined && { until }) };
}

/** Runs until SIGINT/SIGTERM (or, with `--once`, only drains the outbox). */
async function realtime(config: Config, log: Logger, once: boolean, metrics: Metrics): Promise<void> {
  const state = StateStore.open(config.stateDb);
  const sink = createSink(config, metrics, log);
  const enricher = createEnricher(config, state, log, metrics);
  const stopSignal = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  try {
    await runRealtime({ config, log, state, sink, build: buildSettings(config), ipPolicy: ipPolicy(config), drainOnly: once, stopSignal, metrics, ...(enricher !== undefined && { enricher }) });
  } finally {
    await enricher?.close();
    await sink.close();
    state.close();
  }
}

/** The lines a batch/files run prints on stdout: what it read and delivered, how it ended, the report files written. */
function summary(result: RunResult, config: Config): string {
  const { totals, enrichment } = result.report.toJson();
  const where = config.output === 'feed' ? `feed ${relative(process.cwd(), config.misp.feedDir) || '.'}` : `MISP ${displayUrl(config.misp.url ?? '')}`;
  const lines = [
    `tpot2misp: ${totals.records} records read, ${totals.attacks} attacks, ${totals.skipped} skipped`,
    `  → ${where}: ${totals.events} events (${totals.eventsCreated} new), attributes +${totals.attributesAdded} ~${totals.attributesUpdated}, objects +${totals.objectsAdded} ~${totals.objectsUpdated}, rejected ${totals.rejected}`,
  ];
  if (enrichment !== undefined) {
    const parts = Object.entries(enrichment).map(([provider, e]) => `${provider} ${e.requests} asked (${e.found} found), ${e.cacheHits} from cache, ${e.queued} queued${e.disabled === undefined ? '' : ', DISABLED (see the log)'}`);
    lines.push(`  enrichment: ${parts.join('; ')}`);
  }
  if (result.failed !== undefined) {
    const error = result.failed.error;
    const code = error instanceof Tpot2MispError ? error.code : 'unexpected error';
    lines.push(`  FAILED (${code}): the figures above are only what was delivered before the failure; the next run reads the rest again`);
  } else if (result.stopped) {
    lines.push('  STOPPED by a signal before the end of the source: the figures above cover only part of the new data; the next run reads the rest');
  }
  if (result.reportFiles.length > 0) lines.push(`  report: ${result.reportFiles.map((file) => relative(process.cwd(), file) || file).join(', ')}`);
  else if (config.report.enabled) lines.push(`  report: not written (see the warning above: VALIDATION_REPORT_DIR)`);
  return lines.join('\n');
}

async function run(config: Config, log: Logger, once: boolean, window: Window = {}): Promise<void> {
  if (config.output === 'misp' && !config.misp.verifySsl) log.warn('TLS verification is OFF for MISP (MISP_VERIFY_SSL=false).');
  const metrics = new Metrics();
  const server = config.prometheus.enabled ? await metrics.serve(config.prometheus.port, config.prometheus.host) : undefined;
  if (server !== undefined) log.info({ host: server.host, port: server.port }, 'Serving /metrics and /healthz.');
  try {
    if (config.mode === 'realtime') return await realtime(config, log, once, metrics);
    // SIGTERM/SIGINT: finish the current batch, deliver and commit it (or end the wait for the next run), then exit
    // by itself (a second signal kills).
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'Stopping: delivering what was read, then exiting.');
      stop.abort();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      // Periodic (BATCH_INTERVAL_HOURS): a failed run is logged and retried at the next interval (see runRepeatedly).
      const intervalMs = once ? 0 : config.batchIntervalHours * 3_600_000;
      await runRepeatedly(config, log, window, metrics, { intervalMs, stop: stop.signal, onResult: (result) => process.stdout.write(`${summary(result, config)}\n`) });
    } finally {
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
    }
  } finally {
    await server?.close();
  }
}

function flagsFor(options: RunFlags): Record<string, string | undefined> {
  return {
    COLLECTION_MODE: options.mode,
    TPOT_DATA_DIR: options.dataDir,
    OUTPUT: options.output,
    MISP_FEED_DIR: options.feedDir,
    STATE_DB: options.stateDb,
  };
}

/** The settings file: `.env` if present, or the one --env-file names, which must then exist. */
function settingsFile(options: { envFile?: string }, command: Command): { envFile: string; envFileRequired: boolean } {
  return { envFile: options.envFile ?? '.env', envFileRequired: command.getOptionValueSource('envFile') === 'cli' };
}

/** Prints an error as one actionable line (the stack only at debug level) and returns the exit code. */
function reportFailure(error: unknown, debug: boolean): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`tpot2misp: invalid configuration:\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 2;
  }
  if (error instanceof Tpot2MispError) {
    process.stderr.write(`tpot2misp: error [${error.code}]: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}\n`);
  } else {
    process.stderr.write(`tpot2misp: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
  }
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command();
  let exitCode = 0;
  program.name('tpot2misp').description('Move T-Pot honeypot attacks into MISP as de-duplicated daily events.').version(version);

  program
    .command('run')
    .description('read new attacks from the configured source and send them to MISP (or a MISP feed directory)')
    .option('--once', 'run one pass and exit, whatever BATCH_INTERVAL_HOURS says')
    .option('--mode <mode>', 'batch | realtime | files (COLLECTION_MODE)')
    .option('--data-dir <dir>', 'T-Pot data directory for files mode (TPOT_DATA_DIR)')
    .option('--output <output>', 'misp | feed (OUTPUT)')
    .option('--feed-dir <dir>', 'MISP feed directory for --output feed (MISP_FEED_DIR)')
    .option('--state-db <file>', 'state database (STATE_DB)')
    .option('--since <date>', 'batch mode: read from this date/time (UTC unless it says otherwise), under its own checkpoint')
    .option('--until <date>', 'batch mode: read up to this date/time (exclusive)')
    .option('--env-file <file>', 'settings file', '.env')
    .action(async (options: RunFlags, command: Command) => {
      let debug = false;
      let logger: LoggerHandle | undefined;
      try {
        const { config, warnings } = loadConfig({ flags: flagsFor(options), ...settingsFile(options, command) });
        debug = config.log.level === 'debug' || config.log.level === 'trace';
        logger = openLogger({
          level: config.log.level,
          format: config.log.format,
          secrets: config.secrets,
          ...(config.log.fileEnabled && { file: { path: config.log.filePath, maxSize: config.log.fileMaxSize, maxFiles: config.log.fileMaxFiles } }),
        });
        const { log } = logger;
        for (const warning of warnings) log.warn(warning);
        const window = parseWindow(options);
        if ((window.since !== undefined || window.until !== undefined) && config.mode !== 'batch') {
          throw new ConfigError(['--since/--until: only for COLLECTION_MODE=batch (Elasticsearch)']);
        }
        // An explicit window is one backfill: it never repeats.
        await run(config, log, options.once === true || window.since !== undefined || window.until !== undefined, window);
      } catch (error) {
        logger?.fileLog?.error({ err: error }, 'The run failed.');
        exitCode = reportFailure(error, debug);
      } finally {
        await logger?.close();
      }
    });

  program
    .command('check')
    .description('connect to the configured Elasticsearch and MISP (or data directory) and say what works, with the fix for what does not')
    .option('--mode <mode>', 'batch | realtime | files (COLLECTION_MODE)')
    .option('--data-dir <dir>', 'T-Pot data directory for files mode (TPOT_DATA_DIR)')
    .option('--output <output>', 'misp | feed (OUTPUT)')
    .option('--env-file <file>', 'settings file', '.env')
    .action(async (options: RunFlags, command: Command) => {
      try {
        const { config, warnings } = loadConfig({ flags: flagsFor(options), ...settingsFile(options, command) });
        for (const warning of warnings) process.stdout.write(`! ${warning}\n`);
        const findings = await runChecks(config);
        for (const finding of findings) process.stdout.write(`${findingMark(finding)} ${finding.line}\n`);
        exitCode = findings.every((f) => f.ok) ? 0 : 1;
      } catch (error) {
        exitCode = reportFailure(error, false);
      }
    });

  program
    .command('simulate')
    .description('write synthetic T-Pot attacks (documentation-range IPs) to a T-Pot data directory, an Elasticsearch or an HPFEEDS broker, to try a MISP set-up')
    .option('--to <target>', 'files (TPOT_DATA_DIR) | elasticsearch (ELASTICSEARCH_*) | hpfeeds (HPFEEDS_*, first of HPFEEDS_CHANNELS)', 'files')
    .option('--data-dir <dir>', 'T-Pot data directory for --to files (TPOT_DATA_DIR)')
    .option('--docs <n>', 'documents to generate', '10000')
    .option('--unique-ips <n>', 'distinct attacker addresses', '500')
    .option('--days <n>', 'days covered, ending at --end', '1')
    .option('--end <date-time>', 'when the simulated attacks end (default: now; UTC unless it says otherwise)')
    .option('--seed <n>', 'random seed (the same seed writes the same attacks)', '1')
    .option('--env-file <file>', 'settings file', '.env')
    .action(async (options: SimulateFlags, command: Command) => {
      try {
        const target = options.to;
        if (target !== 'files' && target !== 'elasticsearch' && target !== 'hpfeeds') throw new ConfigError([`--to '${String(target).slice(0, 40)}': one of files, elasticsearch, hpfeeds`]);
        const count = (flag: string, value: string, max: number) => {
          const n = Number(value);
          if (!Number.isInteger(n) || n < 1 || n > max) throw new ConfigError([`--${flag} '${value.slice(0, 20)}': a whole number from 1 to ${max}`]);
          return n;
        };
        const days = count('days', options.days, 366);
        const generate = {
          docs: count('docs', options.docs, 100_000_000),
          uniqueIps: count('unique-ips', options.uniqueIps, 10_000_000),
          days,
          seed: count('seed', options.seed, 2 ** 31),
          end: parseDateFlag('--end', options.end) ?? Date.now(),
        };
        const mode = ({ files: 'files', elasticsearch: 'batch', hpfeeds: 'realtime' } as const)[target];
        const { config, warnings } = loadConfig({ flags: { COLLECTION_MODE: mode, OUTPUT: 'feed', TPOT_DATA_DIR: options.dataDir }, ...settingsFile(options, command) });
        const log = createLogger({ level: config.log.level, format: config.log.format, secrets: config.secrets });
        for (const warning of warnings) log.warn(warning);
        const result = await runSimulation(config, target, generate, log);
        process.stdout.write(`tpot2misp simulate: ${result.written} ${target === 'hpfeeds' ? 'Cowrie sessions published' : 'records written'} → ${result.targets.join(', ')}\n`);
      } catch (error) {
        exitCode = reportFailure(error, false);
      }
    });

  program
    .command('demo')
    .description('run the main job on the bundled sample T-Pot data: writes a MISP feed to out/misp-feed/ and out/report.txt|json|html')
    .option('--out <dir>', 'output folder', 'out')
    .action(async (options: { out: string }) => {
      const stateDir = mkdtempSync(join(tmpdir(), 'tpot2misp-demo-'));
      try {
        // The demo shows what the bundled sample gives, the same on every machine: no setting of the user's shell
        // (MISP_URL, OUTPUT, TPOT_HONEYPOTS, ENRICHMENT_ENABLED, PROMETHEUS_ENABLED…) or .env may change it, so it
        // reads an empty environment and no settings file. LOG_LEVEL alone passes through: it changes only how much
        // is printed, and LOG_LEVEL=debug is how one finds out why a demo fails.
        const { config } = loadConfig({
          env: {},
          flags: {
            COLLECTION_MODE: 'files',
            OUTPUT: 'feed',
            TPOT_DATA_DIR: join(packageRoot, 'examples', 'tpot-data'),
            MISP_FEED_DIR: join(options.out, 'misp-feed'),
            VALIDATION_REPORT_DIR: options.out,
            VALIDATION_REPORT_ENABLED: 'true',
            STATE_DB: join(stateDir, 'demo.db'),
            LOG_FORMAT: 'text',
            LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
          },
          envFile: '/nonexistent/.env',
        });
        const log = createLogger({ level: config.log.level, format: config.log.format, secrets: config.secrets });
        await run(config, log, true);
      } catch (error) {
        exitCode = reportFailure(error, false);
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    });

  await program.parseAsync([...argv]);
  return exitCode;
}

limitHeapGrowth();
process.exitCode = await main(process.argv);
