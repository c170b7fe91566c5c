// `npm run bench`: the full batch pipeline over a generated T-Pot data set, through the Elasticsearch
// emulator into the MISP emulator (both in their own process, see serve.ts), with the pipeline's peak
// RSS and, measured in the same run, a ceiling: bare JSON.parse of the same documents.
// Its last line is one JSON object; throughput is reported as a ratio to that ceiling.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tpotDoc, type GenerateOptions } from '../src/simulate/synthetic-tpot.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    source: { type: 'string', default: 'elasticsearch' },
    docs: { type: 'string', default: '200000' },
    'unique-ips': { type: 'string', default: '20000' },
    days: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    'page-size': { type: 'string' },
  },
});
if (values.source !== 'elasticsearch') {
  process.stderr.write(`bench: --source ${values.source} is not implemented yet; only --source elasticsearch\n`);
  process.exit(2);
}
const set: GenerateOptions = { docs: Number(values.docs), uniqueIps: Number(values['unique-ips']), days: Number(values.days), seed: Number(values.seed) };
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('bench: dist/cli.js is missing; run `npm run build` first\n');
  process.exit(2);
}

/** Bare JSON.parse of the same documents: what reading them costs at the very least. */
function ceilingDocsPerSecond(): number {
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

function lines(child: ChildProcess): Interface {
  return createInterface({ input: child.stdout! });
}

function nextLine(reader: Interface): Promise<string> {
  return new Promise((resolve, reject) => {
    reader.once('line', resolve);
    reader.once('close', () => reject(new Error('the emulators stopped')));
  });
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

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-bench-'));
const serve = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'serve.ts'), '--docs', String(set.docs), '--unique-ips', String(set.uniqueIps), '--days', String(set.days), '--seed', String(set.seed)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
try {
  const reader = lines(serve);
  const endpoints = JSON.parse(await nextLine(reader)) as { elasticsearch: { url: string }; misp: { url: string; key: string } };
  const ceiling = ceilingDocsPerSecond();

  const started = process.hrtime.bigint();
  const pipeline = spawn(process.execPath, [cli, 'run', '--once', '--mode', 'batch', '--output', 'misp', '--state-db', join(work, 'state.db'), '--since', '2000-01-01T00:00:00Z'], {
    env: { PATH: process.env['PATH'] ?? '', ELASTICSEARCH_URL: endpoints.elasticsearch.url, MISP_URL: endpoints.misp.url, MISP_KEY: endpoints.misp.key, VALIDATION_REPORT_ENABLED: 'false', LOG_LEVEL: 'warn', ...(values['page-size'] !== undefined && { ELASTICSEARCH_PAGE_SIZE: values['page-size'] }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(pipeline.pid!))), 50);
  let output = '';
  pipeline.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const status = await new Promise<number | null>((resolve) => pipeline.on('exit', (code) => {
    peak = Math.max(peak, peakRssMb(pipeline.pid!));
    resolve(code);
  }));
  clearInterval(poll);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (status !== 0) throw new Error(`the pipeline failed (exit ${status})`);
  process.stderr.write(output);

  serve.stdin!.write('stats\n');
  const stats = JSON.parse(await nextLine(reader)) as Record<string, number>;
  const docsPerSecond = set.docs / seconds;
  const result = {
    elasticsearch: {
      docs: set.docs,
      unique_indicators: (stats['misp_attributes'] ?? 0) + (stats['misp_objects'] ?? 0),
      seconds: Number(seconds.toFixed(2)),
      docs_per_s: Math.round(docsPerSecond),
      ceiling_docs_per_s: Math.round(ceiling),
      ratio_to_ceiling: Number((docsPerSecond / ceiling).toFixed(3)),
      peak_rss_mb: Number(peak.toFixed(1)),
      misp_requests: stats['misp_requests'],
      misp_events: stats['misp_events'],
      es_requests: stats['es_requests'],
      es_bytes_per_doc: Number(((stats['es_bytes'] ?? 0) / set.docs).toFixed(1)),
      es_full_source_bytes_per_doc: Number(((stats['es_full_source_bytes'] ?? 0) / set.docs).toFixed(1)),
      misp_spec_violations: stats['misp_spec_violations'],
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  serve.stdin!.end();
  serve.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
