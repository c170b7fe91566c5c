// Hellpot (HTTP tarpit): requested paths and user agents.
import { commonEvent, pathOfUrl, renamed, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const hellpot: Honeypot = {
  type: 'Hellpot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'hellpot/log/hellpot.log', format: 'json' }],
  fields: ['src_ip', 'dest_port', 'time', 'url', 'http_user_agent'],
  fromNative(record) {
    return withTimestamp(
      renamed(record, { REMOTE_ADDR: 'src_ip', URL: 'url', USERAGENT: 'http_user_agent', BYTES: 'bytes', DURATION: 'duration', message: 'reason' }),
      'time',
    );
  },
  normalize(doc: Doc) {
    const base = commonEvent('Hellpot', doc, { timeFields: ['time'], defaultDestPort: 80 });
    if ('skip' in base) return base;
    const url = text(doc, 'url');
    const path = url !== undefined ? pathOfUrl(url) : undefined;
    const agent = text(doc, 'http_user_agent');
    return {
      ...base,
      transport: 'tcp',
      protocol: 'http',
      ...(path !== undefined && { requests: [{ path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
