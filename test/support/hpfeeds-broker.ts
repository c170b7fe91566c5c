// Starts the real HPFEEDS broker (the `hpfeeds` package from PyPI, in .venv) on a loopback port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { venvPython } from './pymisp.js';

export interface BrokerUser {
  readonly ident: string;
  readonly secret: string;
  readonly pubchans?: readonly string[];
  readonly subchans?: readonly string[];
}

export interface Broker {
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Publishes with the Python reference client (`hpfeeds publish`). */
  publishWithPython(user: BrokerUser, channel: string, payload: string): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function startBroker(users: readonly BrokerUser[]): Promise<Broker> {
  const bin = dirname(venvPython());
  const port = await freePort();
  // The broker always serves Prometheus metrics (an empty --exporter still counts as set) and binds 0.0.0.0:8080 by
  // default: two brokers at once, or anything else on 8080, would stop it from starting. A free loopback port each.
  const metricsPort = await freePort();
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '' };
  // The broker's JSON auth file: every ident with its owner, secret and channels.
  const authDir = mkdtempSync(join(tmpdir(), 'hpfeeds-auth-'));
  const authFile = join(authDir, 'auth.json');
  writeFileSync(authFile, JSON.stringify(Object.fromEntries(users.map((u) => [u.ident, { owner: u.ident, secret: u.secret, pubchans: u.pubchans ?? [], subchans: u.subchans ?? [] }]))));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(join(bin, 'hpfeeds-broker'), [`--endpoint=tcp:interface=127.0.0.1:port=${port}`, `--auth=${authFile}`, '--name', 'hpfeeds', `--exporter=127.0.0.1:${metricsPort}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    // Generous: on a loaded 2-core machine the broker's Python imports alone can take many seconds.
    const deadline = Date.now() + 60_000;
    while (!(await accepting(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the hpfeeds broker did not start (exit ${child.exitCode}):\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  process.once('exit', () => rmSync(authDir, { recursive: true, force: true }));
  const stop = async (): Promise<void> => {
    const running = child;
    if (running === undefined || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  return {
    port,
    start,
    stop,
    publishWithPython(user, channel, payload) {
      const result = spawnSync(join(bin, 'hpfeeds'), ['publish', '--host', '127.0.0.1', '-p', String(port), '-i', user.ident, '-s', user.secret, '-c', channel, payload], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`hpfeeds publish failed: ${result.stderr}`);
    },
  };
}
