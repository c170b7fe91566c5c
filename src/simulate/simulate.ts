// `tpot2misp simulate`: synthetic attacks (the benchmark's generator) written where T-Pot would put them, so
// that a MISP set-up can be tried without waiting for real attackers: native log files in a T-Pot data
// directory, documents in an Elasticsearch (logstash-YYYY.MM.DD), or Cowrie sessions on an HPFEEDS broker.
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { Tpot2MispError } from '../errors.js';
import { honeypotFor } from '../honeypots/registry.js';
import { esClientFor, type EsClient } from '../sources/elasticsearch/es-client.js';
import { HpfeedsClient, hpfeedsConnection } from '../sources/hpfeeds/client.js';
import { ELK_ENVIRONMENT } from '../sources/sensor-environment.js';
import { SENSOR_EXT, SENSOR_INT, tpotDoc, type GenerateOptions } from './synthetic-tpot.js';
import { nativeLine } from './templates.js';

/** What Logstash adds to a honeypot's own record; a native log line never has these. */
const LOGSTASH_FIELDS = ['@timestamp', '@version', 'type', 'path', 'host', 't-pot_hostname', 't-pot_ip_ext', 't-pot_ip_int', 'geoip', 'geoip_ext', 'ip_rep'];

/**
 * The native log record a Logstash-shaped document came from (the inverse of the honeypot module's
 * `fromNative` for the types the generator writes); undefined for what has no JSON log (NGINX's access log).
 */
export function nativeRecord(doc: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  const type = doc['type'];
  const out: Record<string, unknown> = { ...doc };
  for (const name of LOGSTASH_FIELDS) delete out[name];
  const rename = (from: string, to: string) => {
    if (Object.hasOwn(out, from)) {
      out[to] = out[from];
      delete out[from];
    }
  };
  switch (type) {
    case 'Cowrie':
    case 'Dionaea':
      rename('dest_ip', 'dst_ip');
      rename('dest_port', 'dst_port');
      return out;
    case 'Honeytrap': {
      const { src_ip, src_port, dest_ip, dest_port, ...rest } = out;
      const connection = typeof rest['attack_connection'] === 'object' && rest['attack_connection'] !== null ? rest['attack_connection'] : {};
      return { ...rest, attack_connection: { ...connection, remote_ip: src_ip, remote_port: src_port, local_ip: dest_ip, local_port: dest_port } };
    }
    case 'Suricata':
    case 'P0f':
      return out;
    default:
      return undefined;
  }
}

export interface SimulationResult {
  /** Documents or messages written. */
  readonly written: number;
  /** Where they went: files, indices or channel. */
  readonly targets: readonly string[];
}

/** Appends native log lines under `dataDir`, at the paths T-Pot's honeypots write (e.g. cowrie/log/cowrie.json). */
export function simulateToDataDir(dataDir: string, options: GenerateOptions): SimulationResult {
  const files = new Map<string, string[]>();
  let written = 0;
  const flush = () => {
    for (const [path, lines] of files) {
      if (lines.length === 0) continue;
      mkdirSync(dirname(path), { recursive: true });
      appendFileSync(path, lines.join(''));
      lines.length = 0;
    }
  };
  for (let i = 0; i < options.docs; i++) {
    const { doc, native } = tpotDoc(options, i);
    const record = native?.record ?? nativeRecord(doc);
    const relPath = native?.path ?? honeypotFor(String(doc['type']))?.logs.find((l) => l.format === 'json')?.path;
    if (record === undefined || relPath === undefined) continue;
    const path = join(dataDir, relPath);
    let lines = files.get(path);
    if (lines === undefined) {
      files.set(path, (lines = []));
      // A new CSV log starts with its header line, as the honeypot writes it.
      if (native?.header !== undefined && !existsSync(path)) lines.push(`${native.header.join(',')}\n`);
    }
    lines.push(`${nativeLine(record, native?.format ?? 'json', native?.header)}\n`);
    written++;
    if (i % 10_000 === 9_999) flush();
  }
  flush();
  // The simulated sensor's addresses, where T-Pot keeps them, so that its own traffic is not taken for an
  // attacker's; a real installation's file is left alone.
  const environment = join(dataDir, ELK_ENVIRONMENT);
  if (!existsSync(environment)) {
    mkdirSync(dirname(environment), { recursive: true });
    writeFileSync(environment, `MY_EXTIP=${SENSOR_EXT}\nMY_INTIP=${SENSOR_INT}\nMY_HOSTNAME=tpot-simulated\n`);
  }
  return { written, targets: [...files.keys()].sort() };
}

// Well under nginx's 2 MB request limit with ~1 KB documents.
const BULK_DOCS = 1_000;

/** Indexes the documents into `logstash-YYYY.MM.DD`, as T-Pot's Logstash would. */
export async function simulateToElasticsearch(client: EsClient, options: GenerateOptions, log: Logger): Promise<SimulationResult> {
  const indices = new Set<string>();
  let batch: { index: string; source: Record<string, unknown> }[] = [];
  let written = 0;
  let refused = 0;
  const send = async () => {
    if (batch.length === 0) return;
    refused += await client.bulkIndex(batch);
    written += batch.length;
    batch = [];
  };
  for (let i = 0; i < options.docs; i++) {
    const { doc } = tpotDoc(options, i);
    const index = `logstash-${String(doc['@timestamp']).slice(0, 10).replaceAll('-', '.')}`;
    indices.add(index);
    batch.push({ index, source: doc });
    if (batch.length >= BULK_DOCS) await send();
  }
  await send();
  if (refused > 0) log.warn({ refused }, 'Elasticsearch refused some simulated documents.');
  return { written: written - refused, targets: [...indices].sort() };
}

/** A Cowrie session (the hpfeeds output plugin's `cowrie.sessions` message) for each simulated Cowrie document. */
export function cowrieSessionMessage(doc: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  if (doc['type'] !== 'Cowrie') return undefined;
  const time = String(doc['timestamp'] ?? doc['@timestamp']);
  const login = doc['eventid'] === 'cowrie.login.failed';
  const command = doc['eventid'] === 'cowrie.command.input';
  const download = doc['eventid'] === 'cowrie.session.file_download';
  return {
    session: doc['session'],
    startTime: time,
    endTime: time,
    peerIP: doc['src_ip'],
    peerPort: doc['src_port'] ?? 40000,
    hostIP: doc['dest_ip'] ?? '172.18.0.4',
    hostPort: doc['dest_port'] ?? 22,
    loggedin: null,
    credentials: login ? [[doc['username'], doc['password']]] : [],
    commands: command ? [doc['input']] : [],
    unknownCommands: [],
    urls: download ? [doc['url']] : [],
    version: 'SSH-2.0-Go',
    ttylog: null,
    hashes: download ? [doc['shasum']] : [],
    protocol: doc['protocol'] ?? 'ssh',
  };
}

/** Publishes one Cowrie session per simulated Cowrie document on `channel` (the client must be connected). */
export async function simulateToHpfeeds(client: HpfeedsClient, channel: string, options: GenerateOptions): Promise<SimulationResult> {
  let written = 0;
  for (let i = 0; i < options.docs; i++) {
    const message = cowrieSessionMessage(tpotDoc(options, i).doc);
    if (message === undefined) continue;
    if (client.status !== 'connected') throw new Tpot2MispError('T2M_SOURCE_IO', `lost the HPFEEDS connection after ${written} messages`);
    client.publish(channel, JSON.stringify(message));
    written++;
    // HPFEEDS has no flow control: a pause now and then keeps the broker's queue short.
    if (written % 200 === 0) await sleep(5);
  }
  return { written, targets: [channel] };
}

export type SimulationTarget = 'files' | 'elasticsearch' | 'hpfeeds';

/** Writes the simulated attacks to the target the configuration describes (TPOT_DATA_DIR, ELASTICSEARCH_*, HPFEEDS_*). */
export async function runSimulation(config: Config, target: SimulationTarget, options: GenerateOptions, log: Logger): Promise<SimulationResult> {
  if (target === 'files') return simulateToDataDir(config.tpotDataDir, options);
  if (target === 'elasticsearch') {
    const client = esClientFor(config.elasticsearch);
    try {
      await client.info();
      return await simulateToElasticsearch(client, options, log);
    } finally {
      await client.close();
    }
  }
  const channel = config.hpfeeds.channels[0];
  if (channel === undefined) throw new Tpot2MispError('T2M_CONFIG_INVALID', 'HPFEEDS_CHANNELS names no channel to publish on', { hint: 'set HPFEEDS_CHANNELS, e.g. cowrie.sessions' });
  // Publish-only: subscribing to the channel we publish on would echo every message back.
  const client = new HpfeedsClient({ ...hpfeedsConnection(config.hpfeeds), channels: [], log, backoff: { minMs: 200, maxMs: 2_000 } });
  client.start();
  try {
    await client.waitConnected(15_000).catch((error: unknown) => {
      throw new Tpot2MispError('T2M_SOURCE_IO', `cannot publish to HPFEEDS at ${config.hpfeeds.host ?? ''}:${config.hpfeeds.port}: ${(error as Error).message}`, {
        hint: 'check HPFEEDS_HOST/PORT, and that HPFEEDS_IDENT may publish on the channel',
      });
    });
    return await simulateToHpfeeds(client, channel, options);
  } finally {
    await client.stop();
  }
}
