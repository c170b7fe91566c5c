// Runs the tpot2misp CLI (from source, through tsx) as a child process, the way a user would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment variables that must not leak from the developer's shell into a test run. */
const SETTINGS_PREFIXES = /^(MISP_|ELASTICSEARCH_|HPFEEDS_|TPOT_|OUTPUT$|COLLECTION_MODE$|STATE_DB$|LOG_|VALIDATION_REPORT_|PROMETHEUS_|ENRICHMENT_|VIRUSTOTAL_|ABUSEIPDB_|GREYNOISE_|SENSOR_IPS$|EXCLUDE_IPS$|ALLOW_PRIVATE_IPS$|MAX_PENDING_INDICATORS$|UUID_NAMESPACE$|LOOKBACK_DAYS$|BATCH_INTERVAL_HOURS$|CACHE_DURATION$|AUTO_PUBLISH$|PUBLISH_DELAY$|REALTIME_FLUSH_SECONDS$)/;

export function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}, cwd = PROJECT_ROOT): CliResult {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SETTINGS_PREFIXES.test(k)));
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd,
    env: { ...clean, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same, without blocking the event loop (needed when the test process also serves an emulator). */
export function runCliAsync(args: readonly string[], env: Readonly<Record<string, string>> = {}, cwd = PROJECT_ROOT): Promise<CliResult> {
  return startCli(args, env, cwd).done;
}

/** Starts the CLI and hands back the child (to kill it) and its eventual result. */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}, cwd = PROJECT_ROOT): { child: ChildProcess; done: Promise<CliResult> } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SETTINGS_PREFIXES.test(k)));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd, env: { ...clean, LOG_LEVEL: 'warn', ...env } });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  return { child, done };
}
