// Starts a real Cowrie honeypot (PyPI) on a loopback port, publishing its sessions to an HPFEEDS broker.
// Cowrie refuses to run as root: as root, it runs as an unprivileged user (created if needed) through
// runuser, from a virtualenv and a state directory that user can reach (not under a private temp dir).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const COWRIE_VERSION = '3.1.4';
const USER = 'tpot2misp-cowrie';

export interface Cowrie {
  readonly sshPort: number;
  stop(): Promise<void>;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`\`${command} ${args.join(' ')}\` failed (${result.error?.message ?? `status ${result.status}`})`);
}

/** A Python the unprivileged user can execute (pyenv installs under /root are not). */
function systemPython(): string {
  for (const candidate of ['/usr/bin/python3', '/usr/local/bin/python3']) if (existsSync(candidate)) return candidate;
  throw new Error('no system python3 in /usr/bin or /usr/local/bin for the Cowrie user');
}

function ensureVenv(): string {
  const venv = join(tmpdir(), `tpot2misp-cowrie-${COWRIE_VERSION}`);
  if (!existsSync(join(venv, 'bin', 'cowrie'))) {
    rmSync(venv, { recursive: true, force: true });
    run(systemPython(), ['-m', 'venv', venv]);
    run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `cowrie==${COWRIE_VERSION}`, 'hpfeeds==3.1.0']);
  }
  return venv;
}

const asRoot = process.getuid?.() === 0;

function ensureUser(): void {
  if (!asRoot) return;
  if (spawnSync('id', ['-u', USER]).status === 0) return;
  run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
}

export async function startCowrie(options: { sshPort: number; broker: { port: number; ident: string; secret: string; channel: string } }): Promise<Cowrie> {
  const venv = ensureVenv();
  ensureUser();
  const state = join(tmpdir(), `tpot2misp-cowrie-state-${process.pid}-${options.sshPort}`);
  for (const dir of ['etc', 'var/log/cowrie', 'var/lib/cowrie/tty', 'var/lib/cowrie/downloads', 'var/run']) mkdirSync(join(state, dir), { recursive: true });
  writeFileSync(
    join(state, 'etc', 'cowrie.cfg'),
    [
      '[honeypot]', 'hostname = svr04', 'log_path = var/log/cowrie', 'download_path = var/lib/cowrie/downloads', 'state_path = var/lib/cowrie', 'ttylog_path = var/lib/cowrie/tty', '',
      '[ssh]', 'enabled = true', `listen_endpoints = tcp:${options.sshPort}:interface=127.0.0.1`, '',
      '[telnet]', 'enabled = false', '',
      '[output_hpfeeds3]', 'enabled = true', 'server = 127.0.0.1', `port = ${options.broker.port}`, `identifier = ${options.broker.ident}`, `secret = ${options.broker.secret}`, `channel = ${options.broker.channel}`, '',
    ].join('\n'),
  );
  if (asRoot) spawnSync('chown', ['-R', USER, state]);
  chmodSync(state, 0o755);
  const env = `PATH=${join(venv, 'bin')}:/usr/bin:/bin`;
  const command = asRoot ? 'runuser' : 'env';
  const args = asRoot ? ['-u', USER, '--', 'env', env, 'COWRIE_STDOUT=yes', join(venv, 'bin', 'cowrie'), 'start'] : [env, 'COWRIE_STDOUT=yes', join(venv, 'bin', 'cowrie'), 'start'];
  const child: ChildProcess = spawn(command, args, { cwd: state, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Ready to accept SSH connections')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Cowrie did not start:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    sshPort: options.sshPort,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
}
