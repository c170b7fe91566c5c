// Glutton (catch-all TCP/UDP honeypot): which port and protocol handler an attacker hit.
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const glutton: Honeypot = {
  type: 'Glutton',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'glutton/log/glutton.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'handler'],
  fromNative(record) {
    const out = withTimestamp({ ...record }, 'ts');
    delete out['ts'];
    return out;
  },
  normalize(doc: Doc) {
    const base = commonEvent('Glutton', doc, { timeFields: ['ts'] });
    if ('skip' in base) return base;
    const handler = text(doc, 'handler')?.toLowerCase();
    return { ...base, transport: 'tcp', ...(handler !== undefined && { protocol: handler }) };
  },
};
