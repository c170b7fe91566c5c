// Honeyaml (configurable fake REST API): requested paths, user agents, basic-auth credentials.
import type { CredentialAttempt } from '../attack-event.js';
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

function basicAuth(header: string | undefined): CredentialAttempt | undefined {
  const match = header !== undefined ? /^Basic\s+([A-Za-z0-9+/=]{1,4096})$/i.exec(header.trim()) : null;
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon) || undefined, password: decoded.slice(colon + 1) || undefined };
}

export const honeyaml: Honeypot = {
  type: 'Honeyaml',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'honeyaml/log/honeyaml.log', format: 'json' }],
  fields: ['src_ip', 'dest_port', 'timestamp', 'method', 'path', 'user_agent', 'authorization'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Honeyaml', doc, { defaultDestPort: 8080 });
    if ('skip' in base) return base;
    const path = text(doc, 'path');
    const agent = text(doc, 'user_agent');
    const credential = basicAuth(text(doc, 'authorization'));
    return {
      ...base,
      transport: 'tcp',
      protocol: 'http',
      ...(path !== undefined && { requests: [{ method: text(doc, 'method'), path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
      ...(credential !== undefined && { credentials: [credential] }),
    };
  },
};
