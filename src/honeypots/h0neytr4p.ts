// H0neytr4p (web trap for exploit scanners): requested paths and user agents.
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const h0neytr4p: Honeypot = {
  type: 'H0neytr4p',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'h0neytr4p/log/log.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'protocol', 'request_method', 'request_uri', 'header_user-agent'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('H0neytr4p', doc);
    if ('skip' in base) return base;
    const path = text(doc, 'request_uri');
    const agent = text(doc, 'header_user-agent');
    const protocol = text(doc, 'protocol')?.toLowerCase() ?? 'http';
    return {
      ...base,
      transport: 'tcp',
      protocol,
      ...(path !== undefined && { requests: [{ method: text(doc, 'request_method'), path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
