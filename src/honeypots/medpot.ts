// Medpot (HL7 medical messaging): who probed the HL7 interface.
import { commonEvent, withTimestamp } from './common-event.js';
import { type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const medpot: Honeypot = {
  type: 'Medpot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'medpot/log/medpot.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp'],
  fromNative(record) {
    return withTimestamp({ ...record, dest_port: 2575 }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Medpot', doc, { defaultDestPort: 2575 });
    if ('skip' in base) return base;
    return { ...base, transport: 'tcp', protocol: 'hl7' };
  },
};
