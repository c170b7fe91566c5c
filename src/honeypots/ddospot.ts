// Ddospot (UDP amplification lures: chargen, DNS, NTP, SSDP): reflection-attack sources.
import { commonEvent, withTimestamp } from './common-event.js';
import { type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

const SERVICES: readonly [string, string, number][] = [
  ['chargenpot', 'chargen', 19],
  ['dnspot', 'dns', 53],
  ['ntpot', 'ntp', 123],
  ['ssdpot', 'ssdp', 1900],
];

function serviceOf(path: string): [string, number] | undefined {
  const found = SERVICES.find(([file]) => path.includes(file));
  return found ? [found[1], found[2]] : undefined;
}

export const ddospot: Honeypot = {
  type: 'Ddospot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'ddospot/log/*.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'time', 'path'],
  fromNative(record, path) {
    const service = serviceOf(path);
    return withTimestamp({ ...record, ...(service !== undefined && { dest_port: service[1] }) }, 'time');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Ddospot', doc, { timeFields: ['time'] });
    if ('skip' in base) return base;
    const byPort = SERVICES.find(([, , port]) => port === base.destPort);
    const byPath = typeof doc['path'] === 'string' ? serviceOf(doc['path']) : undefined;
    const protocol = byPort?.[1] ?? byPath?.[0];
    return { ...base, transport: 'udp', ...(protocol !== undefined && { protocol }) };
  },
};
