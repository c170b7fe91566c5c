// Go-pot (HTTP tarpit): requested paths and user agents.
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const gopot: Honeypot = {
  type: 'Go-pot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'go-pot/log/go-pot.json', format: 'json' }],
  fields: ['src_ip', 'dest_port', 'method', 'path', 'qs', 'user_agent'],
  fromNative(record) {
    // T-Pot's Logstash drops Go-pot lines without a dest_port (its own status lines).
    if (record['dest_port'] === undefined) return undefined;
    const out = withTimestamp({ ...record }, 'ts', 'timestamp');
    delete out['ts'];
    if (Object.hasOwn(out, 'duration')) {
      out['session_duration'] = out['duration'];
      delete out['duration'];
    }
    return out;
  },
  normalize(doc: Doc) {
    const base = commonEvent('Go-pot', doc, { timeFields: ['ts'] });
    if ('skip' in base) return base;
    const path = text(doc, 'path');
    const query = text(doc, 'qs');
    const agent = text(doc, 'user_agent');
    return {
      ...base,
      transport: 'tcp',
      protocol: 'http',
      ...(path !== undefined && { requests: [{ method: text(doc, 'method'), path: query ? `${path}?${query.replace(/^\?/, '')}` : path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
