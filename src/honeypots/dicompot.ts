// Dicompot (DICOM medical imaging): who probed the PACS service.
import { commonEvent, renamed, withTimestamp } from './common-event.js';
import { type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const dicompot: Honeypot = {
  type: 'Dicompot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'dicompot/log/dicompot.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'time'],
  fromNative(record) {
    const out = renamed(record, {
      ID: 'id', IP: 'src_ip', Port: 'src_port', AETitle: 'aetitle', Command: 'input', Files: 'files',
      Identifier: 'identifier', Matches: 'matches', Status: 'session', Version: 'version',
    });
    withTimestamp(out, 'time', 'timestamp');
    delete out['time'];
    delete out['timestamp'];
    return out;
  },
  normalize(doc: Doc) {
    const base = commonEvent('Dicompot', doc, { timeFields: ['time'], defaultDestPort: 11112 });
    if ('skip' in base) return base;
    return { ...base, transport: 'tcp', protocol: 'dicom' };
  },
};
