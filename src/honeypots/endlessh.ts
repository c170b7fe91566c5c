// Endlessh (SSH tarpit): who got stuck in it.
import { commonEvent } from './common-event.js';
import { type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

// "2025-03-14T16:00:00.100Z ACCEPT host=192.0.2.45 port=40500 fd=4 n=1/4096" (Logstash's grok is IPv4-only; this is not).
const LINE = /^(\S+)\s+(ACCEPT|CLOSE)\s+host=(\S+)\s+port=(\d{1,5})(?:.*?\btime=([\d.]+))?(?:.*?\bbytes=(\d+))?/;

export const endlessh: Honeypot = {
  type: 'Endlessh',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'endlessh/log/endlessh.log', format: 'text' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'reason'],
  fromNative(record) {
    const match = typeof record['message'] === 'string' ? LINE.exec(record['message']) : null;
    if (match === null) return undefined;
    return {
      '@timestamp': match[1],
      message: record['message'],
      reason: match[2],
      src_ip: match[3]!.replace(/^::ffff:/i, ''),
      src_port: Number(match[4]),
      dest_port: 22,
      ...(match[5] !== undefined && { duration: match[5] }),
      ...(match[6] !== undefined && { bytes: match[6] }),
    };
  },
  normalize(doc: Doc) {
    const base = commonEvent('Endlessh', doc, { defaultDestPort: 22 });
    if ('skip' in base) return base;
    return { ...base, transport: 'tcp', protocol: 'ssh' };
  },
};
