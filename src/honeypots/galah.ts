// Galah (LLM-backed web honeypot): requested paths and user agents.
// T-Pot's fork (internal/logger/logger.go) writes flat dotted keys: `request.requestURI`, `request.method`,
// `request.userAgent`, `request.headers.<Name>`; `field()` reads them as literal keys (or nested, if ever).
import { commonEvent, withTimestamp } from './common-event.js';
import { firstText, text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const galah: Honeypot = {
  type: 'Galah',
  role: 'honeypot',
  interaction: 'high',
  logs: [{ path: 'galah/log/galah.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'session', 'request', 'request.requestURI', 'request.method', 'request.userAgent'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Galah', doc, { defaultDestPort: 80 });
    if ('skip' in base) return base;
    const path = firstText(doc, 'request.requestURI', 'request.request', 'request.uri', 'request.path');
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
