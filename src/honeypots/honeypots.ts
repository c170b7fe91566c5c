// Honeypots (qeeqbox's collection of low-interaction servers): service probed, credentials tried.
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const honeypots: Honeypot = {
  type: 'Honeypots',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'honeypots/log/*.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'protocol', 'action', 'username', 'password'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Honeypots', doc);
    if ('skip' in base) return base;
    const protocol = text(doc, 'protocol')?.toLowerCase();
    const username = text(doc, 'username');
    const password = text(doc, 'password');
    return {
      ...base,
      transport: protocol !== undefined && ['dns', 'ntp', 'snmp', 'sip'].includes(protocol) ? 'udp' : 'tcp',
      ...(protocol !== undefined && { protocol }),
      ...((username !== undefined || password !== undefined) && { credentials: [{ username, password }] }),
    };
  },
};
