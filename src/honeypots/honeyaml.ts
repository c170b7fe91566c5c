// Honeyaml (configurable fake REST API): requested paths, user agents, basic-auth credentials.
// Its `dest_port` is the port in the attacker's Host header (src/logger.rs, "80" when there is none), not where it
// listens: T-Pot's container listens on 8080, so every request is on 8080.
// Its src_ip is actix-web's realip_remote_addr() (src/logger.rs), which prefers the request's Forwarded /
// X-Forwarded-For header to the peer; the headers are not logged, so every Honeyaml source is marked client-supplied.
import type { CredentialAttempt } from '../attack-event.js';
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

const LISTEN_PORT = 8080;

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
  fields: ['src_ip', 'timestamp', 'method', 'path', 'user_agent', 'authorization'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Honeyaml', doc);
    if ('skip' in base) return base;
    const path = text(doc, 'path');
    const agent = text(doc, 'user_agent');
    const credential = basicAuth(text(doc, 'authorization'));
    return {
      ...base,
      srcIpFromClientHeader: 'X-Forwarded-For',
      destPort: LISTEN_PORT,
      transport: 'tcp',
      protocol: 'http',
      ...(path !== undefined && { requests: [{ method: text(doc, 'method'), path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
      ...(credential !== undefined && { credentials: [credential] }),
    };
  },
};
