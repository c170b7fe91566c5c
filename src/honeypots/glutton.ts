// Glutton (catch-all TCP/UDP honeypot): which port and protocol handler an attacker hit.
//
// The pinned Glutton logs with Go's slog JSON handler: the time is `time` (RFC 3339 with nanoseconds); versions
// before 2024 (zap) wrote `ts` (epoch seconds). T-Pot's Logstash still dates by `ts`, so for slog lines its
// @timestamp is only when Logstash read the line: `time`, when present, is the attack time.
import { parseTime } from '../time.js';
import { commonEvent, withTimestamp } from './common-event.js';
import { field, text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const glutton: Honeypot = {
  type: 'Glutton',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'glutton/log/glutton.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'handler', 'time'],
  fromNative(record) {
    const out = withTimestamp({ ...record }, 'time', 'ts');
    delete out['ts'];
    return out;
  },
  normalize(doc: Doc) {
    const base = commonEvent('Glutton', doc, { timeFields: ['time', 'ts'] });
    if ('skip' in base) return base;
    const time = parseTime(field(doc, 'time'));
    const handler = text(doc, 'handler')?.toLowerCase();
    return { ...base, ...(time !== undefined && { time }), transport: 'tcp', ...(handler !== undefined && { protocol: handler }) };
  },
};
