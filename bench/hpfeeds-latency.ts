// `npm run bench:latency`: publish → MISP latency of realtime mode. A real HPFEEDS broker (PyPI, in .venv),
// tpot2misp (dist/) subscribed to it with the default REALTIME_FLUSH_SECONDS, and the MISP emulator; a
// publisher sends `--rate` Cowrie sessions per second for `--seconds`, each from its own attacker address,
// and the time each address appears in MISP is recorded. Last line: one JSON object with p50/p95/max.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { HpfeedsClient } from '../src/sources/hpfeeds/client.js';
import { startMispEmulator } from '../test/emulators/misp-emulator.js';
import { startBroker } from '../test/support/hpfeeds-broker.js';
import { attackerIp } from '../src/simulate/synthetic-tpot.js';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '20' }, 'flush-seconds': { type: 'string', default: '10' } } });
const rate = Number(values.rate);
const total = rate * Number(values.seconds);
const flushSeconds = Number(values['flush-seconds']);
const root = fileURLToPath(new URL('..', import.meta.url));
const subscriber = { ident: 'tpot2misp', secret: 'bench-secret', subchans: ['cowrie.sessions'] };
const sensor = { ident: 'sensor01', secret: 'sensor-secret', pubchans: ['cowrie.sessions'] };

const work = mkdtempSync(join(tmpdir(), 'tpot2misp-latency-'));
const broker = await startBroker([subscriber, sensor]);
const misp = await startMispEmulator();
const pipeline = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'run', '--mode', 'realtime', '--output', 'misp', '--state-db', join(work, 'state.db')], {
  env: { PATH: process.env['PATH'] ?? '', HPFEEDS_HOST: '127.0.0.1', HPFEEDS_PORT: String(broker.port), HPFEEDS_IDENT: subscriber.ident, HPFEEDS_SECRET: subscriber.secret, HPFEEDS_CHANNELS: 'cowrie.sessions', REALTIME_FLUSH_SECONDS: String(flushSeconds), MISP_URL: misp.url, MISP_KEY: misp.apiKey, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const publisher = new HpfeedsClient({ host: '127.0.0.1', port: broker.port, ident: sensor.ident, secret: sensor.secret, channels: [], log: pino({ level: 'silent' }) });
publisher.start();
await publisher.waitConnected();
await new Promise((r) => setTimeout(r, 2_000)); // the subscriber connects and subscribes

const publishedAt = new Map<string, number>();
const seenAt = new Map<string, number>();
const watcher = setInterval(() => {
  const now = Date.now();
  for (const event of misp.events()) for (const a of event.Attribute) if (a.type === 'ip-src' && !seenAt.has(a.value)) seenAt.set(a.value, now);
}, 100);

const started = Date.now();
let sent = 0;
while (sent < total) {
  // Catch up to where the schedule says we should be (10 ms ticks keep the rate exact under load).
  const due = Math.min(total, Math.floor(((Date.now() - started) * rate) / 1000) + 1);
  for (; sent < due; sent++) {
    const ip = attackerIp(sent);
    publishedAt.set(ip, Date.now());
    publisher.publish('cowrie.sessions', JSON.stringify({ session: `s${sent}`, startTime: new Date().toISOString(), peerIP: ip, peerPort: 40000, hostIP: '172.18.0.2', hostPort: 22, protocol: 'ssh', loggedin: null, credentials: [['root', `pw${sent % 50}`]], commands: [], unknownCommands: [], urls: [], hashes: [], version: 'SSH-2.0-Go', ttylog: null }));
  }
  await new Promise((r) => setTimeout(r, 10));
}
const publishSeconds = (Date.now() - started) / 1000;
const deadline = Date.now() + (flushSeconds + 60) * 1000;
while (seenAt.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
clearInterval(watcher);

const latencies = [...publishedAt].map(([ip, t]) => (seenAt.has(ip) ? (seenAt.get(ip)! - t) / 1000 : Number.POSITIVE_INFINITY)).sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
const result = {
  realtime: {
    messages: total,
    rate_per_s: rate,
    achieved_rate_per_s: Math.round(total / publishSeconds),
    delivered: seenAt.size,
    flush_seconds: flushSeconds,
    p50_s: Number(at(0.5).toFixed(2)),
    p95_s: Number(at(0.95).toFixed(2)),
    max_s: Number(latencies.at(-1)!.toFixed(2)),
    target_p95_s: flushSeconds + 2,
    misp_requests: misp.totalRequests(),
  },
};
await publisher.stop();
pipeline.kill('SIGTERM');
await new Promise((r) => pipeline.once('exit', r));
await broker.stop();
await misp.close();
rmSync(work, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result)}\n`);
