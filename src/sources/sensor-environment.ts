// The sensor's own identity as T-Pot writes it (tpot/etc/compose/elk_environment: MY_EXTIP, MY_INTIP, MY_HOSTNAME).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SensorEnvironment {
  readonly extIp?: string;
  readonly intIp?: string;
  readonly hostname?: string;
}

export const ELK_ENVIRONMENT = join('tpot', 'etc', 'compose', 'elk_environment');

/** Reads `<dataDir>/tpot/etc/compose/elk_environment`; a missing or unreadable file gives `{}`. */
export function readSensorEnvironment(dataDir: string): SensorEnvironment {
  let text: string;
  try {
    text = readFileSync(join(dataDir, ELK_ENVIRONMENT), 'utf8');
  } catch {
    return {};
  }
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match === null) continue;
    values[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  const pick = (key: string) => (values[key] !== undefined && values[key] !== '' ? values[key] : undefined);
  const extIp = pick('MY_EXTIP');
  const intIp = pick('MY_INTIP');
  const hostname = pick('MY_HOSTNAME');
  return { ...(extIp && { extIp }), ...(intIp && { intIp }), ...(hostname && { hostname }) };
}
