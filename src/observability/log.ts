// The root pino logger: JSON lines (or pino-pretty text) on stderr and optionally a rotated file, secrets
// masked wherever they appear.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { Tpot2MispError } from '../errors.js';

export interface LogSettings {
  readonly level: string;
  readonly format: 'json' | 'text';
  /** Secret values (keys, passwords) to mask in every line, including inside messages and URLs. */
  readonly secrets?: readonly string[];
  /** Also write every line to this file, rotated by size (months unattended must not fill the disk). */
  readonly file?: LogFileSettings;
}

export interface LogFileSettings {
  readonly path: string;
  /** `10M`, `1G`…: rotate when the file reaches this size. */
  readonly maxSize: string;
  /** Rotated files kept, gzip-compressed, as `<name>.1.gz` (newest) … `<name>.<maxFiles>.gz`. */
  readonly maxFiles: number;
}

/** A logger and what must happen before the process ends (the file stream writes asynchronously). */
export interface LoggerHandle {
  readonly log: Logger;
  /** Writes to the log file only (for what stderr already shows in its own words, such as the final error). */
  readonly fileLog?: Logger;
  close(): Promise<void>;
}

const MASK = '***';

/** Replaces every occurrence of a secret in a string. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(MASK);
  return out;
}

/** Why a log file path cannot be written, in words; the error code is shown beside it. */
function logFileProblem(code: string | undefined, path: string): string {
  switch (code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a part of its directory is a file, not a directory';
    case 'EISDIR':
      return `it is a directory: name a file in it (for example ${join(path, 'tpot2misp.log')})`;
    case 'EACCES':
    case 'EPERM':
      return 'this user may not create or write it';
    case 'EROFS':
      return 'it lies on a read-only file system';
    case 'ENOENT':
      return 'its directory cannot be created';
    default:
      return 'it cannot be opened for writing';
  }
}

/**
 * Creates the log file's directory and opens the file once, now: the rotating stream opens it later and would only
 * report a bad path as an event after start-up, and a raw mkdir error names neither the setting nor what to do.
 */
function ensureWritable(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(path, 'a'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Tpot2MispError('T2M_CONFIG_INVALID', `cannot write the log file LOG_FILE_PATH=${path}: ${logFileProblem(code, path)}${code === undefined ? '' : ` (${code})`}`, {
      cause: error,
      hint: 'set LOG_FILE_PATH to a file in a directory this user can write (its directory is created), or LOG_FILE_ENABLED=false',
    });
  }
}

/** Opens the log file for appending, rotating it by size with logrotate-style numbered, compressed copies. */
function openLogFile(file: LogFileSettings): RotatingFileStream {
  ensureWritable(file.path);
  // `rotate`: logrotate's scheme, `<name>.1.gz` newest; compression happens in the rotation job.
  return createStream(basename(file.path), {
    path: dirname(file.path),
    size: file.maxSize,
    rotate: file.maxFiles,
    compress: 'gzip',
  });
}

/** The logger with its optional file; `close()` flushes and closes the file. */
export function openLogger(settings: LogSettings): LoggerHandle {
  if (settings.file === undefined) return { log: createLogger(settings), close: async () => {} };
  const file = openLogFile(settings.file);
  // A broken disk must not take the pipeline down: say so once on stderr and keep logging there.
  file.once('error', (error: Error) => process.stderr.write(`tpot2misp: cannot write the log file ${settings.file?.path}: ${error.message}\n`));
  const log = createLogger(settings, process.stderr, file);
  return {
    log,
    fileLog: pino(loggerOptions(settings), formatted(settings, file)),
    close: () =>
      new Promise<void>((resolve) => {
        log.flush();
        file.end(() => resolve());
      }),
  };
}

function formatted(settings: LogSettings, destination: NodeJS.WritableStream): NodeJS.WritableStream {
  return settings.format === 'text'
    ? pretty({ destination: destination as NodeJS.WritableStream & { fd?: number }, colorize: false, sync: true, translateTime: 'SYS:standard' })
    : destination;
}

function loggerOptions(settings: LogSettings): pino.LoggerOptions {
  const secrets = (settings.secrets ?? []).filter((s) => s.length >= 4);
  const options: pino.LoggerOptions = {
    level: settings.level,
    base: { name: 'tpot2misp' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['misp.key', 'key', 'apiKey', '*.apiKey', 'password', '*.password', 'secret', '*.secret', 'headers.authorization'], censor: MASK },
    formatters: { level: (label) => ({ level: label }) },
    // Secrets can hide in free text (an error message quoting a URL with credentials): mask the final line.
    ...(secrets.length > 0 && { hooks: { streamWrite: (line: string) => maskSecrets(line, secrets) } }),
  };
  return options;
}

export function createLogger(settings: LogSettings, destination: NodeJS.WritableStream = process.stderr, file?: NodeJS.WritableStream): Logger {
  const options = loggerOptions(settings);
  if (file === undefined) return pino(options, formatted(settings, destination));
  // Each stream filters by its own level: let the logger's level decide.
  return pino(options, pino.multistream([
    { level: 'trace', stream: formatted(settings, destination) },
    { level: 'trace', stream: formatted(settings, file) },
  ]));
}
