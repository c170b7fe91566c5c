// The root pino logger: JSON lines (or pino-pretty text) on stderr, secrets masked wherever they appear.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export interface LogSettings {
  readonly level: string;
  readonly format: 'json' | 'text';
  /** Secret values (keys, passwords) to mask in every line, including inside messages and URLs. */
  readonly secrets?: readonly string[];
}

const MASK = '***';

/** Replaces every occurrence of a secret in a string. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(MASK);
  return out;
}

export function createLogger(settings: LogSettings, destination: NodeJS.WritableStream = process.stderr): Logger {
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
  const stream =
    settings.format === 'text'
      ? pretty({ destination: destination as NodeJS.WritableStream & { fd?: number }, colorize: false, sync: true, translateTime: 'SYS:standard' })
      : destination;
  return pino(options, stream);
}
