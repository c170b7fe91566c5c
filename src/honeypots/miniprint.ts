// Miniprint (network printer, PJL/raw jobs): who probed the printer.
import { commonEvent, withTimestamp } from './common-event.js';
import { type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const miniprint: Honeypot = {
  type: 'Miniprint',
  role: 'honeypot',
  interaction: 'medium',
  logs: [{ path: 'miniprint/log/miniprint.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Miniprint', doc, { defaultDestPort: 9100 });
    if ('skip' in base) return base;
    return { ...base, transport: 'tcp', protocol: 'pjl' };
  },
};
