// RDPHoneypot (Remote Desktop): who probed RDP.
import { commonEvent, renamed, withTimestamp } from './common-event.js';
import { type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const rdphoneypot: Honeypot = {
  type: 'RDPHoneypot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'rdphoneypot/log/rdphoneypot.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp'],
  fromNative(record) {
    const out = renamed(record, { dst_ip: 'dest_ip', dst_port: 'dest_port' });
    if (typeof out['timestamp'] === 'string') out['timestamp'] = out['timestamp'].replace(/\+00:00Z$/, '+00:00');
    return withTimestamp(out, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('RDPHoneypot', doc, { defaultDestPort: 3389 });
    if ('skip' in base) return base;
    return { ...base, transport: 'tcp', protocol: 'rdp' };
  },
};
