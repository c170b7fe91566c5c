// Progress of a long read: a one-line bar on a terminal, a periodic log line otherwise.
import type { Logger } from 'pino';

export type ProgressListener = (read: number, total: number | undefined) => void;

const LOG_EVERY_MS = 30_000;
const DRAW_EVERY_MS = 200;
const WIDTH = 30;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Returns the listener and a `done` that clears the bar. */
export function progressReporter(label: string, log: Logger, stream: NodeJS.WriteStream = process.stderr): { onProgress: ProgressListener; done: () => void } {
  const started = Date.now();
  let last = 0;
  let drawn = false;
  const onProgress: ProgressListener = (read, total) => {
    const now = Date.now();
    const finished = total !== undefined && read >= total;
    if (now - last < (stream.isTTY ? DRAW_EVERY_MS : LOG_EVERY_MS) && !finished) return;
    last = now;
    const rate = read / Math.max((now - started) / 1000, 0.001);
    const eta = total !== undefined && rate > 0 ? (total - read) / rate : Number.NaN;
    if (stream.isTTY) {
      const fraction = total ? Math.min(read / total, 1) : 0;
      const bar = '█'.repeat(Math.round(fraction * WIDTH)).padEnd(WIDTH, '░');
      stream.write(`\r${label} ${bar} ${read.toLocaleString('en')}/${total?.toLocaleString('en') ?? '?'} docs  ${Math.round(rate).toLocaleString('en')}/s  ETA ${duration(eta)} `);
      drawn = true;
    } else {
      log.info({ read, total, docsPerSecond: Math.round(rate), etaSeconds: Number.isFinite(eta) ? Math.round(eta) : undefined }, `${label}: progress`);
    }
  };
  return {
    onProgress,
    done: () => {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
