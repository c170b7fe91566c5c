// ConPot (industrial control systems): which ICS protocol an attacker probed.
import { commonEvent, renamed, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

const TRANSPORT: Readonly<Record<string, string>> = { ipmi: 'udp', snmp: 'udp', bacnet: 'udp' };

export const conpot: Honeypot = {
  type: 'ConPot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'conpot/log/conpot_*.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'data_type', 'event_type'],
  fromNative(record) {
    return withTimestamp(renamed(record, { dst_ip: 'dest_ip', dst_port: 'dest_port' }), 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('ConPot', doc);
    if ('skip' in base) return base;
    const protocol = text(doc, 'data_type')?.toLowerCase();
    return {
      ...base,
      transport: protocol !== undefined && Object.hasOwn(TRANSPORT, protocol) ? TRANSPORT[protocol] : 'tcp',
      ...(protocol !== undefined && { protocol }),
    };
  },
};
