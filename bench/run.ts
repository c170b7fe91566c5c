// `npm run bench`: the full batch pipeline over a generated T-Pot data set, from (a) T-Pot's log files and
// (b) the Elasticsearch emulator, into the MISP emulator (the emulators run in their own process, see
// serve.ts). For each source it measures, in the same run, a ceiling: bare streaming JSON.parse of the same
// bytes. Its last line is one JSON object, one entry per source; throughput is a ratio to the ceiling.
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { simulateToDataDir } from '../src/simulate/simulate.js';
import { tpotDoc, type GenerateOptions } from '../src/simulate/synthetic-tpot.js';
import { ELK_ENVIRONMENT } from '../src/sources/sensor-environment.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    source: { type: 'string', default: 'both' },
    docs: { type: 'string', default: '200000' },
    'unique-ips': { type: 'string', default: '20000' },
    days: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    'page-size': { type: 'string' },
    'misp-write-ms': { type: 'string', default: '0' },
  },
});
const sources = values.source === 'both' ? ['files', 'elasticsearch'] : [values.source];
if (!sources.every((s) => s === 'files' || s === 'elasticsearch')) {
  process.stderr.write(`bench: --source is files, elasticsearch or both (the default), not ${values.source}\n`);
  process.exit(2);
}
const set: GenerateOptions = { docs: Number(values.docs), uniqueIps: Number(values['unique-ips']), days: Number(values.days), seed: Number(values.seed) };
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('bench: dist/cli.js is missing; run `npm run build` first\n');
  process.exit(2);
}

/** Bare JSON.parse of the documents Elasticsearch would send: what reading them costs at the very least. */
function esCeilingDocsPerSecond(): number {
  const sample = Math.min(set.docs, 200_000);
  const step = set.docs / sample;
  let seconds = 0;
  const chunk: string[] = [];
  const flush = () => {
    const start = process.hrtime.bigint();
    for (const text of chunk) JSON.parse(text);
    seconds += Number(process.hrtime.bigint() - start) / 1e9;
    chunk.length = 0;
  };
  for (let k = 0; k < sample; k++) {
    chunk.push(JSON.stringify(tpotDoc(set, Math.floor(k * step)).doc));
    if (chunk.length === 10_000) flush();
  }
  flush();
  return sample / seconds;
}

/** Streaming read + split + JSON.parse of every log line under `dir`: the files source's ceiling. */
async function filesCeilingDocsPerSecond(dir: string): Promise<{ docs: number; bytes: number; docsPerSecond: number }> {
  // Every log the set wrote (JSON lines, whatever the file's extension, and text logs), not the sensor's environment file.
  const environment = join(dir, ELK_ENVIRONMENT);
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).filter((file) => file !== environment);
  const started = process.hrtime.bigint();
  let docs = 0;
  let bytes = 0;
  for (const file of files) {
    let rest = '';
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const text = rest + (chunk as string);
      bytes += Buffer.byteLength(chunk as string);
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        // A text log's line (Ciscoasa, Endlessh) is no JSON: trying is what reading it costs at the very least.
        try {
          JSON.parse(text.slice(start, end));
        } catch {
          // not JSON
        }
        docs++;
        start = end + 1;
      }
      rest = text.slice(start);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { docs, bytes, docsPerSecond: docs / seconds };
}

function nextLine(reader: Interface): Promise<string> {
  return new Promise((resolve, reject) => {
    reader.once('line', resolve);
    reader.once('close', () => reject(new Error('the emulators stopped')));
  });
}

/** CPU time (user + system) a running process has used so far (Linux /proc), in seconds. */
function cpuSeconds(pid: number): number {
  try {
    // After the command name (in parentheses, and it may hold any character): utime and stime are the 12th and
    // 13th fields, in clock ticks (100 per second on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Peak resident memory of a running process (Linux VmHWM), in MB. */
function peakRssMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Emulators {
  readonly es: string;
  readonly misp: { readonly url: string; readonly key: string };
  stats(): Promise<Record<string, number>>;
  stop(): void;
}

/** The emulators in their own process: a fresh MISP per source, so each run starts from nothing. */
async function startEmulators(): Promise<Emulators> {
  const serve: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'serve.ts'), '--docs', String(set.docs), '--unique-ips', String(set.uniqueIps), '--days', String(set.days), '--seed', String(set.seed), '--misp-write-ms', values['misp-write-ms']], {
    stdio: ['pipe', 'pipe', 'inherit'],
    // NODE_OPTIONS is a knob of the measured pipeline (e.g. a heap cap), not of the emulators holding all of MISP.
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS')),
  });
  const reader = createInterface({ input: serve.stdout! });
  const endpoints = JSON.parse(await nextLine(reader)) as { elasticsearch: { url: string }; misp: { url: string; key: string } };
  return {
    es: endpoints.elasticsearch.url,
    misp: endpoints.misp,
    stats: async () => {
      serve.stdin!.write('stats\n');
      return JSON.parse(await nextLine(reader)) as Record<string, number>;
    },
    stop: () => {
      serve.stdin!.end();
      serve.kill('SIGTERM');
    },
  };
}

function passThrough(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (process.env[name] !== undefined ? [[name, process.env[name]!]] : [])));
}

/** Runs the real CLI once; returns its wall time, its own peak RSS and CPU time (last sampled ≤ 50 ms before exit). */
async function runPipeline(args: readonly string[], env: Record<string, string>): Promise<{ seconds: number; peakRssMb: number; cpuSeconds: number }> {
  const started = process.hrtime.bigint();
  const pipeline = spawn(process.execPath, [cli, 'run', '--once', ...args], {
    // Tuning knobs pass through from the bench's own environment, so their effect can be measured.
    env: { PATH: process.env['PATH'] ?? '', VALIDATION_REPORT_ENABLED: 'false', LOG_LEVEL: 'warn', ...passThrough(['MAX_PENDING_INDICATORS', 'MISP_BATCH_SIZE', 'MISP_CONCURRENCY', 'ELASTICSEARCH_PAGE_SIZE', 'NODE_OPTIONS']), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let peak = 0;
  let cpu = 0;
  const poll = setInterval(() => {
    peak = Math.max(peak, peakRssMb(pipeline.pid!));
    cpu = Math.max(cpu, cpuSeconds(pipeline.pid!));
  }, 50);
  let output = '';
  pipeline.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const status = await new Promise<number | null>((resolve) =>
    pipeline.on('exit', (code) => {
      peak = Math.max(peak, peakRssMb(pipeline.pid!));
      resolve(code);
    }),
  );
  clearInterval(poll);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (status !== 0) throw new Error(`the pipeline failed (exit ${status})`);
  process.stderr.write(output);
  return { seconds, peakRssMb: peak, cpuSeconds: cpu };
}

function figures(docs: number, run: { seconds: number; peakRssMb: number; cpuSeconds: number }, ceiling: number, stats: Record<string, number>, emulatorCpuBefore: number): Record<string, number | undefined> {
  const { seconds, peakRssMb: peak } = run;
  const docsPerSecond = docs / seconds;
  return {
    docs,
    unique_indicators: (stats['misp_attributes'] ?? 0) + (stats['misp_objects'] ?? 0),
    seconds: Number(seconds.toFixed(2)),
    // Where the wall time went: the pipeline's own CPU, and the emulators' (MISP and Elasticsearch are the slow side).
    cpu_seconds: Number(run.cpuSeconds.toFixed(2)),
    emulators_cpu_seconds: Number(((stats['cpu_seconds'] ?? 0) - emulatorCpuBefore).toFixed(2)),
    docs_per_s: Math.round(docsPerSecond),
    ceiling_docs_per_s: Math.round(ceiling),
    ratio_to_ceiling: Number((docsPerSecond / ceiling).toFixed(3)),
    peak_rss_mb: Number(peak.toFixed(1)),
    misp_requests: stats['misp_requests'],
    misp_events: stats['misp_events'],
    misp_spec_violations: stats['misp_spec_violations'],
  };
}

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-bench-'));
const result: Record<string, Record<string, number | undefined>> = {};
try {
  for (const source of sources) {
    const emulators = await startEmulators();
    const common = { MISP_URL: emulators.misp.url, MISP_KEY: emulators.misp.key };
    try {
      if (source === 'files') {
        const dataDir = join(work, 'tpot-data');
        const written = simulateToDataDir(dataDir, set);
        const ceiling = await filesCeilingDocsPerSecond(dataDir);
        const emulatorCpu = (await emulators.stats())['cpu_seconds'] ?? 0;
        const run = await runPipeline(['--mode', 'files', '--data-dir', dataDir, '--output', 'misp', '--state-db', join(work, 'files.db')], common);
        result['files'] = { ...figures(written.written, run, ceiling.docsPerSecond, await emulators.stats(), emulatorCpu), bytes_per_doc: Number((ceiling.bytes / ceiling.docs).toFixed(1)) };
      } else {
        const ceiling = esCeilingDocsPerSecond();
        const emulatorCpu = (await emulators.stats())['cpu_seconds'] ?? 0;
        const run = await runPipeline(['--mode', 'batch', '--output', 'misp', '--state-db', join(work, 'es.db'), '--since', '2000-01-01T00:00:00Z'], {
          ...common,
          ELASTICSEARCH_URL: emulators.es,
          ...(values['page-size'] !== undefined && { ELASTICSEARCH_PAGE_SIZE: values['page-size'] }),
        });
        const stats = await emulators.stats();
        result['elasticsearch'] = {
          ...figures(set.docs, run, ceiling, stats, emulatorCpu),
          es_requests: stats['es_requests'],
          es_bytes_per_doc: Number(((stats['es_bytes'] ?? 0) / set.docs).toFixed(1)),
          es_full_source_bytes_per_doc: Number(((stats['es_full_source_bytes'] ?? 0) / set.docs).toFixed(1)),
        };
      }
    } finally {
      emulators.stop();
    }
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
