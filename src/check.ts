// `tpot2misp check`: can this configuration work? Connects to what the settings name and reports, one
// line per finding, what answered and, for every failure, the likely fix. Writes and creates nothing anywhere:
// directories that a run would create are judged by the nearest one that exists.
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import pino from 'pino';
import type { Config } from './config.js';
import { providerClients } from './enrichment/setup.js';
import { Tpot2MispError } from './errors.js';
import type { Honeypot } from './honeypots/honeypot.js';
import { allHoneypots } from './honeypots/registry.js';
import { MispHttpClient, mispMessage } from './misp/http-client.js';
import { displayUrl } from './observability/display-url.js';
import { listenAddress, listenProblem } from './observability/metrics.js';
import { esClientFor } from './sources/elasticsearch/es-client.js';
import { logFilesMatching } from './sources/log-glob.js';
import { HpfeedsClient, hpfeedsConnection, type HpfeedsStatus } from './sources/hpfeeds/client.js';

export interface Finding {
  readonly ok: boolean;
  readonly line: string;
  /** Works, but deserves a look (no attacks lately, TLS verification off, a missing permission): shown, not failed. */
  readonly warn?: true;
}

/** How `check` marks a finding: ✓ works, ! works but deserves a look, ✗ cannot work. */
export function findingMark(finding: Finding): string {
  return !finding.ok ? '✗' : finding.warn ? '!' : '✓';
}

const INDEX_PATTERN = 'logstash-*';
const DAY_MS = 86_400_000;

/**
 * An error's hint as advice for `check`: without what a run does about the failure ("the data is kept and sent again
 * on the next run"), which describes no run here.
 */
export function checkHint(hint: string | undefined): string | undefined {
  const advice = hint?.replace(/(?:^|[;.]\s*)[^;.]*\b(?:next run|later run|the run will)\b[^;.]*\.?/gi, (clause) => (clause.startsWith('.') ? '.' : '')).trim();
  return advice === undefined || advice === '' ? undefined : advice;
}

function failure(what: string, error: unknown): Finding {
  if (error instanceof Tpot2MispError) {
    const hint = checkHint(error.hint);
    return { ok: false, line: `${what}: ${error.message}${hint === undefined ? '' : ` — fix: ${hint}`}` };
  }
  return { ok: false, line: `${what}: ${(error as Error)?.message ?? String(error)}` };
}

async function checkElasticsearch(config: Config): Promise<Finding[]> {
  const es = config.elasticsearch;
  if (es.url === undefined) return [{ ok: false, line: 'Elasticsearch: ELASTICSEARCH_URL is not set — fix: https://<tpot>:64297/es/ or, on the T-Pot host, http://127.0.0.1:64298' }];
  const client = esClientFor(es, { maxRetries: 0 });
  const where = `Elasticsearch ${displayUrl(es.url)}`;
  const findings: Finding[] = [];
  try {
    const info = await client.info();
    findings.push({ ok: true, line: `${where}: ${info.product} ${info.version}${es.verifySsl ? '' : ' (TLS verification OFF)'}`, ...(!es.verifySsl && { warn: true as const }) });
    const indices = await client.indices(INDEX_PATTERN);
    if (indices.length === 0) {
      findings.push({ ok: false, line: `${where}: no ${INDEX_PATTERN} index — fix: is this T-Pot's Elasticsearch, and is Logstash running?` });
      return findings;
    }
    const docs = indices.reduce((n, i) => n + i.docs, 0);
    findings.push({ ok: true, line: `  ${indices.length} ${INDEX_PATTERN} indices, ${docs.toLocaleString('en')} documents, newest ${indices[0]!.index}` });
    const byType = await client.countByType(INDEX_PATTERN, Date.now() - DAY_MS);
    const wanted = new Set<string>(config.honeypots);
    const rows = [...byType].sort((a, b) => b[1] - a[1]);
    const known = new Set(allHoneypots().map((h) => h.type as string));
    findings.push(
      rows.length === 0
        ? { ok: true, warn: true, line: '  last 24 h: no documents (is T-Pot receiving attacks, and is its clock right?)' }
        : { ok: true, line: `  last 24 h: ${rows.map(([type, n]) => `${type} ${n.toLocaleString('en')}${!known.has(type) ? ' (unknown type)' : wanted.has(type) ? '' : ' (not in TPOT_HONEYPOTS)'}`).join(', ')}` },
    );
  } catch (error) {
    findings.push(failure(where, error));
  } finally {
    await client.close();
  }
  return findings;
}

async function checkMisp(config: Config): Promise<Finding[]> {
  const misp = config.misp;
  if (misp.url === undefined || misp.key === undefined) return [{ ok: false, line: 'MISP: MISP_URL and MISP_KEY must be set for OUTPUT=misp' }];
  const client = new MispHttpClient({ url: misp.url, key: misp.key, verifySsl: misp.verifySsl, ...(misp.caFile !== undefined && { caFile: misp.caFile }), retry: { maxRetries: 0 } });
  const where = `MISP ${displayUrl(misp.url)}`;
  try {
    const version = await client.request('GET', '/servers/getVersion');
    const versionText = (version.body as { version?: string } | undefined)?.version;
    if (version.status === 403) return [{ ok: false, line: `${where}: the API key was refused (403 ${mispMessage(version.body) ?? ''}) — fix: MISP_KEY must be the 40-character key of a user allowed to use the API` }];
    if (version.status !== 200 || versionText === undefined) {
      return [{ ok: false, line: `${where}: GET /servers/getVersion answered HTTP ${version.status} without a MISP version — fix: MISP_URL must point at MISP itself` }];
    }
    const me = await client.request('GET', '/users/view/me');
    const role = (me.body as { Role?: { name?: string; perm_add?: boolean; perm_tag_editor?: boolean } } | undefined)?.Role;
    const canAdd = role?.perm_add === true;
    const findings: Finding[] = [{ ok: true, line: `${where}: MISP ${versionText}${misp.verifySsl ? '' : ' (TLS verification OFF)'}`, ...(!misp.verifySsl && { warn: true as const }) }];
    findings.push(
      canAdd
        ? {
            ok: true,
            line: `  the key's role (${role?.name ?? '?'}) may create events${role?.perm_tag_editor ? '' : '; it may not create tags, so new tags (tpot:honeypot=…) must exist already'}`,
            ...(role?.perm_tag_editor !== true && { warn: true as const }),
          }
        : { ok: false, line: `  the key's role (${role?.name ?? '?'}) may not create events — fix: give the user a role with "Add events" (perm_add), e.g. User or Org Admin` },
    );
    return findings;
  } catch (error) {
    return [failure(where, error)];
  } finally {
    await client.close();
  }
}

/** The broker acknowledges nothing: connect, authenticate, subscribe, and see whether it hangs up on us. */
async function checkHpfeeds(config: Config): Promise<Finding[]> {
  const hp = config.hpfeeds;
  const where = `HPFEEDS ${hp.host ?? '?'}:${hp.port}`;
  let reason: string | undefined;
  const client = new HpfeedsClient({
    ...hpfeedsConnection(hp),
    log: pino({ level: 'silent' }),
    onStatus: (_status, why) => {
      if (why !== undefined) reason = why;
    },
    backoff: { minMs: 60_000, refusedMs: 60_000 },
    connectTimeoutMs: 10_000,
  });
  client.start();
  const deadline = Date.now() + 12_000;
  // Connected, then 2 s without an ERROR: the broker took the credentials and every channel.
  let connectedSince = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const status: HpfeedsStatus = client.status;
    if (status === 'connected') connectedSince ||= Date.now();
    else if (status === 'refused' || (status === 'disconnected' && reason !== undefined)) break;
    if (connectedSince > 0 && Date.now() - connectedSince > 2_000) break;
  }
  const status: HpfeedsStatus = client.status;
  await client.stop();
  if (connectedSince > 0 && status === 'connected') {
    return [{ ok: true, line: `${where}: authenticated as ${hp.ident ?? '?'}, subscribed to ${hp.channels.join(', ')}` }];
  }
  if (status === 'refused') return [{ ok: false, line: `${where}: the broker refused us (${reason ?? '?'}) — fix: check HPFEEDS_IDENT and HPFEEDS_SECRET, and that the ident may subscribe to every channel in HPFEEDS_CHANNELS` }];
  return [{ ok: false, line: `${where}: cannot connect (${reason ?? 'no answer'}) — fix: check HPFEEDS_HOST and HPFEEDS_PORT (the broker's default port is 20000) and HPFEEDS_TLS` }];
}

function checkDataDir(config: Config): Finding[] {
  const dir = config.tpotDataDir;
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
  } catch {
    return [{ ok: false, line: `T-Pot data directory ${dir}: missing — fix: set TPOT_DATA_DIR (or --data-dir) to the folder holding cowrie/, dionaea/, … (usually ~/tpotce/data)` }];
  }
  const present = new Set(readdirSync(dir));
  const found = allHoneypots().filter((h) => h.logs.some((log) => present.has(log.path.split('/')[0]!)));
  if (found.length === 0) return [{ ok: false, line: `T-Pot data directory ${dir}: no honeypot folder in it — fix: point TPOT_DATA_DIR at ~/tpotce/data` }];
  const findings: Finding[] = [{ ok: true, line: `T-Pot data directory ${join(dir)}: ${found.map((h) => h.type).join(', ')}` }];
  const newest = newestLogWrite(dir, found);
  if (newest === undefined) findings.push({ ok: true, warn: true, line: '  no honeypot log file in it yet (is T-Pot running?)' });
  else {
    const stale = Date.now() - newest.time > DAY_MS;
    findings.push({ ok: true, ...(stale && { warn: true as const }), line: `  newest log write: ${new Date(newest.time).toISOString()} (${newest.path})${stale ? ', over 24 h ago (are the honeypots running?)' : ''}` });
  }
  return findings;
}

/** The most recent modification among the honeypots' live log files (a `*` in a log path's file name matches any run). */
function newestLogWrite(dir: string, honeypots: readonly Honeypot[]): { path: string; time: number } | undefined {
  let newest: { path: string; time: number } | undefined;
  for (const path of honeypots.flatMap((h) => h.logs).flatMap((log) => logFilesMatching(dir, log.path))) {
    try {
      const time = statSync(join(dir, path)).mtimeMs;
      if (newest === undefined || time > newest.time) newest = { path, time };
    } catch {
      // Not written yet, or rotated away meanwhile.
    }
  }
  return newest;
}

/** The directory itself, or the nearest ancestor that exists (a run creates the rest), and whether it is a directory. */
function nearestExisting(dir: string): { path: string; isDirectory: boolean } {
  for (let path = dir; ; path = dirname(path)) {
    try {
      return { path, isDirectory: statSync(path).isDirectory() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file stands where a directory would be; the loop reaches it and says so.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(path) === path) throw error;
    }
  }
}

/**
 * Can a run write `dir` (creating it, if it is missing) and, if given and present, the file in it? Creates nothing:
 * a missing directory is judged by its nearest existing ancestor.
 */
export function checkWritable(what: string, dir: string, fix: string, file?: string): Finding {
  const shown = file ?? dir;
  try {
    const existing = nearestExisting(dir);
    if (!existing.isDirectory) return { ok: false, line: `${what} ${shown}: ${existing.path} is not a directory — fix: ${fix}` };
    accessSync(existing.path, constants.W_OK | constants.X_OK);
    if (file !== undefined && existing.path === dir) {
      try {
        // A directory passes the access test but cannot be opened as a file (EISDIR at the run).
        if (statSync(file).isDirectory()) return { ok: false, line: `${what} ${shown}: is a directory, not a file — fix: ${fix}` };
        accessSync(file, constants.R_OK | constants.W_OK);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return { ok: true, line: `${what} ${shown}: writable${existing.path === dir ? '' : ` (${existing.path} exists; a run creates the rest)`}` };
  } catch (error) {
    return { ok: false, line: `${what} ${shown}: not writable (${(error as NodeJS.ErrnoException).code ?? 'error'}) — fix: ${fix}` };
  }
}

/** Every place a run writes: the state database, and as configured the feed, the report and the log file. */
function checkWritablePlaces(config: Config): Finding[] {
  const findings = [checkWritable('state database', dirname(config.stateDb), 'point STATE_DB at a file in a directory this user can write', config.stateDb)];
  if (config.output === 'feed') findings.push(checkWritable('MISP feed directory', config.misp.feedDir, 'point MISP_FEED_DIR (or --feed-dir) at a directory this user can write'));
  if (config.report.enabled) findings.push(checkWritable('report directory', config.report.dir, 'point VALIDATION_REPORT_DIR at a directory this user can write (or VALIDATION_REPORT_ENABLED=false)'));
  if (config.log.fileEnabled) {
    findings.push(checkWritable('log file', dirname(config.log.filePath), 'point LOG_FILE_PATH at a file in a directory this user can write (or LOG_FILE_ENABLED=false)', config.log.filePath));
  }
  return findings;
}

/** Can the metrics endpoint listen on PROMETHEUS_HOST:PROMETHEUS_PORT, as a run would? Binds it for a moment only. */
export async function checkMetricsPort(port: number, host = '127.0.0.1'): Promise<Finding> {
  const where = `Prometheus metrics ${listenAddress(host, port)} (PROMETHEUS_HOST, PROMETHEUS_PORT)`;
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
  if (error === undefined) return { ok: true, line: `${where}: free` };
  const problem = listenProblem(error, host, port);
  if (problem === undefined) return { ok: false, line: `${where}: ${error.code ?? error.message} — fix: set PROMETHEUS_HOST and PROMETHEUS_PORT to an address of this host and a free port` };
  return { ok: false, line: `${where}: ${problem.why} — fix: ${problem.fix}` };
}

/** An address every provider knows (Google Public DNS): a lookup proves the key works. */
const PROBE_IP = '8.8.8.8';

/** One lookup per enabled provider: is the key accepted? Costs one request of each provider's daily quota. */
async function checkEnrichment(config: Config): Promise<Finding[]> {
  const providers = providerClients(config.enrichment);
  if (providers.length === 0) return [{ ok: false, line: 'enrichment: ENRICHMENT_ENABLED=true but no provider is enabled — fix: set VIRUSTOTAL_API_KEY, ABUSEIPDB_API_KEY or GREYNOISE_API_KEY' }];
  return Promise.all(
    providers.map(async (provider): Promise<Finding> => {
      try {
        await provider.lookup('ip', PROBE_IP);
        return { ok: true, line: `${provider.name}: key accepted (the check used one request of today's quota)` };
      } catch (error) {
        return failure(provider.name, error);
      } finally {
        await provider.close();
      }
    }),
  );
}

/** Runs every check the configuration calls for. */
export async function runChecks(config: Config): Promise<Finding[]> {
  const findings: Finding[] = checkWritablePlaces(config);
  if (config.prometheus.enabled) findings.push(await checkMetricsPort(config.prometheus.port, config.prometheus.host));
  if (config.mode === 'batch' || config.elasticsearch.url !== undefined) findings.push(...(await checkElasticsearch(config)));
  if (config.mode === 'files') findings.push(...checkDataDir(config));
  if (config.mode === 'realtime') findings.push(...(await checkHpfeeds(config)));
  if (config.output === 'misp') findings.push(...(await checkMisp(config)));
  if (config.enrichment.enabled) findings.push(...(await checkEnrichment(config)));
  return findings;
}
