// Sentrypeer (SIP/VoIP): scanners and toll-fraud attempts, with their SIP user agents.
import { commonEvent, renamed, splitHostPort, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const sentrypeer: Honeypot = {
  type: 'Sentrypeer',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'sentrypeer/log/sentrypeer.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'transport_type', 'sip_method', 'sip_user_agent'],
  fromNative(record) {
    const out = renamed(record, { destination_ip: 'dest_ip' });
    out['dest_port'] = 5060;
    if (typeof record['source_ip'] === 'string') {
      const { host, port } = splitHostPort(record['source_ip']);
      out['src_ip'] = host;
      if (port !== undefined) out['src_port'] = port;
      delete out['source_ip'];
    }
    withTimestamp(out, 'event_timestamp');
    delete out['event_timestamp'];
    return out;
  },
  normalize(doc: Doc) {
    const base = commonEvent('Sentrypeer', doc, { defaultDestPort: 5060 });
    if ('skip' in base) return base;
    const agent = text(doc, 'sip_user_agent');
    return {
      ...base,
      transport: text(doc, 'transport_type')?.toLowerCase() ?? 'udp',
      protocol: 'sip',
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
