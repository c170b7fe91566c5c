// `npm run bench:memory`: peak RSS must not grow with documents, only with unique indicators. Runs the
// benchmark twice over the same attackers and day (few enough that both runs see nearly every indicator: 100
// attackers on each of 31 honeypot types), 100,000 and 1,000,000 documents, and reports the ratio. Exits 1 when it
// exceeds 1.2.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const run = fileURLToPath(new URL('./run.ts', import.meta.url));

function bench(docs: number): { peak_rss_mb: number; unique_indicators: number } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', run, '--docs', String(docs), '--unique-ips', '100', '--days', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 });
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !last.startsWith('{')) throw new Error(`bench failed for ${docs} documents`);
  return (JSON.parse(last) as { elasticsearch: { peak_rss_mb: number; unique_indicators: number } }).elasticsearch;
}

const small = bench(100_000);
const large = bench(1_000_000);
const ratio = large.peak_rss_mb / small.peak_rss_mb;
process.stdout.write(`${JSON.stringify({ docs: [100_000, 1_000_000], unique_indicators: [small.unique_indicators, large.unique_indicators], peak_rss_mb: [small.peak_rss_mb, large.peak_rss_mb], ratio: Number(ratio.toFixed(3)), flat: ratio <= 1.2 })}\n`);
process.exitCode = ratio <= 1.2 ? 0 : 1;
