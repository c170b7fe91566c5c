// Shared pieces of the fault-injection suite (test/faults/): what MISP holds in a comparable form, the batch
// run's arguments, waiting for a condition while a CLI child runs, and a fault proxy in front of the MISP
// emulator for the faults the emulator itself cannot make (a request MISP applied whose answer is lost, an
// answer that comes late or never, refused connections).
import type { ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { EsEmulator } from '../emulators/es-emulator.js';
import type { MispEmulator } from '../emulators/misp-emulator.js';
import type { CliResult } from './cli.js';

/** Everything an analyst sees in MISP, in a comparable form (as in test/e2e/elasticsearch-to-misp.test.ts). */
export function content(misp: MispEmulator): string[] {
  return misp
    .events()
    .flatMap((event) => [
      `${event.uuid} ${event.info} ${event.date} tags=${event.Tag.map((t) => t.name).sort().join(',')}`,
      ...event.Attribute.map((a) => `${event.info} A ${a.uuid} ${a.type} ${a.category} ${a.value} ${a.to_ids} ${a.comment} ${a.first_seen} ${a.last_seen} ${a.deleted}`),
      ...event.Object.map((o) => `${event.info} O ${o.uuid} ${o.name} ${o.comment} ${o.first_seen} ${o.last_seen} ${o.Attribute.map((a) => `${a.object_relation}=${a.value}`).sort().join(',')}`),
    ])
    .sort();
}

/** A short, readable difference of two contents (for assertion messages). */
export function diff(actual: readonly string[], expected: readonly string[]): string {
  const want = new Set(expected);
  const got = new Set(actual);
  const missing = expected.filter((l) => !got.has(l));
  const extra = actual.filter((l) => !want.has(l));
  return `${actual.length} lines vs ${expected.length}; missing ${missing.length}: ${missing.slice(0, 3).join(' | ')}; extra ${extra.length}: ${extra.slice(0, 3).join(' | ')}`;
}

/** `tpot2misp run --once --mode batch` into MISP, with its own state database. */
export function batchArgs(work: string, db: string): string[] {
  return ['run', '--once', '--mode', 'batch', '--output', 'misp', '--state-db', join(work, db), '--since', '2025-03-01'];
}

/** Small pages and early flushes: a run makes many searches and several deliveries, so faults land mid-run. */
export function batchEnv(es: EsEmulator, mispUrl: string, apiKey: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ELASTICSEARCH_URL: es.url,
    ELASTICSEARCH_PAGE_SIZE: '500',
    MAX_PENDING_INDICATORS: '1000',
    MISP_BATCH_SIZE: '200',
    // Two requests at once: a fault finds a batch of new attributes on the wire beside another.
    MISP_CONCURRENCY: '2',
    MISP_URL: mispUrl,
    MISP_KEY: apiKey,
    VALIDATION_REPORT_ENABLED: 'false',
    ...extra,
  };
}

/** Resolves once `condition` holds (polled every 2 ms); rejects if the run `done` ends first. */
export function whileRunning(done: Promise<CliResult>, condition: () => boolean, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const timer = setInterval(() => {
      if (settled || !condition()) return;
      settled = true;
      clearInterval(timer);
      resolve();
    }, 2);
    done.then(
      (result) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        reject(new Error(`the run ended (status ${String(result.status)}) before ${what}\n${result.stderr.slice(-2000)}`));
      },
      (error: unknown) => {
        settled = true;
        clearInterval(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Kills `child` with SIGKILL (it gets no chance to clean up). */
export function sigkill(child: ChildProcess): void {
  child.kill('SIGKILL');
}

export type ProxyFaultKind =
  /** Forwarded, MISP applies it, then the connection is cut before the answer reaches the client. */
  | 'applied-then-dropped'
  /** Forwarded, MISP applies it, the answer is held `delayMs`, then a gateway answers 504 (its read timeout). */
  | 'applied-then-gateway-timeout'
  /** Never forwarded: the connection stays silent `delayMs`, then is cut (an idle timeout on the way). */
  | 'silent-then-dropped';

export interface ProxyFault {
  count: number;
  readonly kind: ProxyFaultKind;
  readonly pathPrefix?: string;
  readonly delayMs?: number;
}

export interface MispProxy {
  readonly url: string;
  /** The next `count` requests (optionally under `pathPrefix`) meet this fault. */
  inject(fault: ProxyFault): void;
  /** Faults still pending (count > 0 in total). */
  pending(): number;
  /** Faults that happened, by kind. */
  readonly happened: Record<ProxyFaultKind | 'refused', number>;
  /** Stops listening (connections are refused, open ones cut) for `ms`, then listens on the same port again. */
  refuseFor(ms: number): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An HTTP proxy in front of `target` (the MISP emulator's URL) that injects transport faults. */
export async function startMispProxy(target: string): Promise<MispProxy> {
  const upstream = new URL(target);
  const faults: ProxyFault[] = [];
  const happened: MispProxy['happened'] = { 'applied-then-dropped': 0, 'applied-then-gateway-timeout': 0, 'silent-then-dropped': 0, refused: 0 };
  const sockets = new Set<Socket>();

  function forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = (req.url ?? '/').split('?')[0]!;
    const fault = faults.find((f) => f.count > 0 && (f.pathPrefix === undefined || path.startsWith(f.pathPrefix)));
    if (fault !== undefined) fault.count--;
    if (fault?.kind === 'silent-then-dropped') {
      happened[fault.kind]++;
      await sleep(fault.delayMs ?? 1_000);
      req.socket.destroy();
      return;
    }
    const answer = await forward(req, body);
    if (fault?.kind === 'applied-then-dropped') {
      happened[fault.kind]++;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'applied-then-gateway-timeout') {
      happened[fault.kind]++;
      await sleep(fault.delayMs ?? 1_000);
      res.writeHead(504, { 'content-type': 'text/html' });
      res.end('<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>');
      return;
    }
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    inject: (fault) => faults.push({ ...fault }),
    pending: () => faults.reduce((n, f) => n + f.count, 0),
    happened,
    async refuseFor(ms) {
      happened.refused++;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await sleep(ms);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
