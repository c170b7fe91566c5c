// Galah (LLM-backed web honeypot): requested paths and user agents.
import { commonEvent, withTimestamp } from './common-event.js';
import { firstText, text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const galah: Honeypot = {
  type: 'Galah',
  role: 'honeypot',
  interaction: 'high',
  logs: [{ path: 'galah/log/galah.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'session', 'request'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Galah', doc, { defaultDestPort: 80 });
    if ('skip' in base) return base;
    const path = firstText(doc, 'request.request', 'request.uri', 'request.path');
    const agent = firstText(doc, 'request.userAgent', 'request.headers.User-Agent', 'request.headers.user-agent');
    const session = text(doc, 'session');
    return {
      ...base,
      transport: 'tcp',
      protocol: 'http',
      ...(session !== undefined && { session }),
      ...(path !== undefined && { requests: [{ method: text(doc, 'request.method'), path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
