// An HPFEEDS client on node:net/node:tls: INFO/AUTH handshake, SUBSCRIBE to every channel, PUBLISH, and
// staying connected (exponential backoff with jitter). The broker acknowledges nothing: a session is
// "up" once AUTH and SUBSCRIBE are sent, and a refusal arrives as an ERROR frame followed by EOF.
// Refused credentials or channels are configuration errors: reported once and retried slowly, never in a
// tight loop. Garbage on the socket ends that connection with a logged reason; the client reconnects.
import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { encode, FrameDecoder, OP_ERROR, OP_INFO, OP_PUBLISH, ProtocolError, type Frame } from './protocol.js';

export interface HpfeedsMessage {
  /** The publisher's ident (the sensor). */
  readonly ident: string;
  readonly channel: string;
  readonly payload: Buffer;
}

export type HpfeedsStatus = 'connecting' | 'connected' | 'disconnected' | 'refused';

export interface HpfeedsClientOptions {
  readonly host: string;
  readonly port: number;
  readonly ident: string;
  readonly secret: string;
  /** Channels to subscribe to (none for a publish-only client). */
  readonly channels: readonly string[];
  readonly tls?: { readonly ca?: string | Buffer; readonly servername?: string };
  readonly log: Logger;
  readonly onMessage?: (message: HpfeedsMessage) => void;
  readonly onStatus?: (status: HpfeedsStatus, reason?: string) => void;
  readonly backoff?: { readonly minMs?: number; readonly maxMs?: number; readonly refusedMs?: number };
  readonly connectTimeoutMs?: number;
}

/** The connection part of the client options, from the HPFEEDS_* settings. */
export function hpfeedsConnection(settings: Config['hpfeeds']): Pick<HpfeedsClientOptions, 'host' | 'port' | 'ident' | 'secret' | 'channels' | 'tls'> {
  return {
    host: settings.host ?? '',
    port: settings.port,
    ident: settings.ident ?? '',
    secret: settings.secret ?? '',
    channels: settings.channels,
    ...(settings.tls && { tls: { ...(settings.caFile !== undefined && { ca: readFileSync(settings.caFile) }) } }),
  };
}

const REFUSAL = /Authentication failed|not allowed to (sub|pub) here|Invalid authkey|First message was not AUTH/;

export class HpfeedsClient {
  readonly #options: HpfeedsClientOptions;
  #socket: Socket | undefined;
  #status: HpfeedsStatus = 'disconnected';
  #attempt = 0;
  #stopped = true;
  #timer: NodeJS.Timeout | undefined;
  #lastRefusal: string | undefined;
  #connectedAt = 0;
  #nextDelayMs = 0;

  constructor(options: HpfeedsClientOptions) {
    this.#options = options;
  }

  get status(): HpfeedsStatus {
    return this.#status;
  }

  /** Connects and keeps reconnecting until `stop()`. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  }

  /** Publishes one message; false when not connected (nothing is queued: HPFEEDS has no replay either). */
  publish(channel: string, payload: Buffer | string): boolean {
    if (this.#status !== 'connected' || this.#socket === undefined) return false;
    return this.#socket.write(encode.publish(this.#options.ident, channel, payload));
  }

  /** Resolves once connected (or rejects after `timeoutMs`). */
  waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.#status === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (this.#status === 'connected') {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - started > timeoutMs) {
          clearInterval(poll);
          reject(new Error(`not connected to HPFEEDS within ${timeoutMs} ms (status ${this.#status}${this.#lastRefusal ? `: ${this.#lastRefusal}` : ''})`));
        }
      }, 20);
    });
  }

  #setStatus(status: HpfeedsStatus, reason?: string): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#options.onStatus?.(status, reason);
  }

  #connect(): void {
    const { host, port, log } = this.#options;
    this.#setStatus('connecting');
    const socket = this.#options.tls
      ? connectTls({ host, port, ...(this.#options.tls.ca !== undefined && { ca: this.#options.tls.ca }), servername: this.#options.tls.servername ?? host })
      : connectTcp({ host, port });
    this.#socket = socket;
    socket.setKeepAlive(true, 10_000);
    socket.setNoDelay(true);
    socket.setTimeout(this.#options.connectTimeoutMs ?? 15_000);
    const decoder = new FrameDecoder();
    let refusal: string | undefined;
    let failure: string | undefined;

    socket.on('timeout', () => {
      if (this.#status !== 'connected') {
        failure = 'no INFO from the broker';
        socket.destroy();
      }
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: readonly Frame[];
      let broken = false;
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        failure = error instanceof ProtocolError ? `protocol error: ${error.message}` : String(error);
        log.warn({ host, port, reason: failure }, 'HPFEEDS: dropping the connection.');
        // Whole messages that came before the bad bytes are kept; the connection goes after them.
        frames = error instanceof ProtocolError ? error.frames : [];
        broken = true;
      }
      for (const frame of frames) {
        if (frame.op === OP_INFO) {
          socket.write(encode.auth(frame.nonce, this.#options.ident, this.#options.secret));
          for (const channel of this.#options.channels) socket.write(encode.subscribe(this.#options.ident, channel));
          socket.setTimeout(0);
          this.#connectedAt = Date.now();
          this.#setStatus('connected');
          log.info({ host, port, ident: this.#options.ident, channels: this.#options.channels, broker: frame.name }, 'HPFEEDS: connected.');
        } else if (frame.op === OP_ERROR) {
          const message = frame.message.slice(0, 300);
          if (REFUSAL.test(message)) refusal = message;
          else failure = `broker error: ${message}`;
        } else if (frame.op === OP_PUBLISH) {
          this.#options.onMessage?.({ ident: frame.ident, channel: frame.channel, payload: frame.payload });
        }
      }
      if (broken) socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= `${error.code ?? error.message}`;
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      const stable = this.#connectedAt > 0 && Date.now() - this.#connectedAt > 10_000;
      this.#connectedAt = 0;
      if (this.#stopped) {
        this.#setStatus('disconnected');
        return;
      }
      if (stable) this.#attempt = 0;
      let delay: number;
      if (refusal !== undefined) {
        // Wrong credentials or a refused channel: retrying fast cannot help. Say it once per distinct reason.
        if (refusal !== this.#lastRefusal) log.error({ host, port, ident: this.#options.ident, reason: refusal }, 'HPFEEDS: the broker refused us; check HPFEEDS_IDENT, HPFEEDS_SECRET and HPFEEDS_CHANNELS.');
        this.#lastRefusal = refusal;
        this.#setStatus('refused', refusal);
        delay = this.#options.backoff?.refusedMs ?? 60_000;
      } else {
        const min = this.#options.backoff?.minMs ?? 500;
        const max = this.#options.backoff?.maxMs ?? 30_000;
        const base = Math.min(max, min * 2 ** this.#attempt);
        delay = base / 2 + Math.random() * (base / 2);
        this.#attempt++;
        this.#setStatus('disconnected', failure ?? 'connection closed');
        log.warn({ host, port, reason: failure ?? 'connection closed', retryInMs: Math.round(delay) }, 'HPFEEDS: disconnected; reconnecting.');
      }
      this.#nextDelayMs = delay;
      this.#timer = setTimeout(() => this.#connect(), delay);
    });
  }

  /** Delay before the pending reconnect (for diagnostics and tests). */
  get nextDelayMs(): number {
    return this.#nextDelayMs;
  }
}
