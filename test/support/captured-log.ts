// A pino logger whose JSON lines a test can read back (what an operator would see in the log).
import { Writable } from 'node:stream';
import { pino, type Level, type Logger } from 'pino';

/** Log lines at `level` and above, parsed. */
export function capturedLogger(level: Level = 'warn'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level }, stream), lines };
}
