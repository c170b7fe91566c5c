// Wordpot (WordPress lure): login attempts, probed paths and user agents.
import { commonEvent, pathOfUrl, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const wordpot: Honeypot = {
  type: 'Wordpot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'wordpot/log/wordpot.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'url', 'user_agent', 'username', 'password'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Wordpot', doc, { defaultDestPort: 80 });
    if ('skip' in base) return base;
    const url = text(doc, 'url');
    const path = url !== undefined ? pathOfUrl(url) : undefined;
    const agent = text(doc, 'user_agent');
    const username = text(doc, 'username');
    const password = text(doc, 'password');
    return {
      ...base,
      transport: 'tcp',
      protocol: 'http',
      ...(path !== undefined && { requests: [{ path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
      ...((username !== undefined || password !== undefined) && { credentials: [{ username, password }] }),
    };
  },
};
