// Tanner (SNARE web application honeypot): requested paths and user agents.
import { commonEvent, withTimestamp } from './common-event.js';
import { field, text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const tanner: Honeypot = {
  type: 'Tanner',
  role: 'honeypot',
  interaction: 'medium',
  logs: [{ path: 'tanner/log/tanner_report.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'method', 'path', 'headers.user-agent'],
  fromNative(record) {
    const out: Record<string, unknown> = { ...record, dest_port: 80 };
    const peer = field(record, 'peer');
    if (typeof peer === 'object' && peer !== null && !Array.isArray(peer)) {
      const { ip, port, ...rest } = peer as Record<string, unknown>;
      out['peer'] = rest;
      out['src_ip'] = ip;
      out['src_port'] = port;
    }
    return withTimestamp(out, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Tanner', doc, { defaultDestPort: 80 });
    if ('skip' in base) return base;
    // T-Pot's Logstash renames `path` of the native record; the attacker's path survives as `path` only natively.
    const path = text(doc, 'path')?.startsWith('/') ? text(doc, 'path') : undefined;
    const agent = text(doc, 'headers.user-agent');
    return {
      ...base,
      transport: 'tcp',
      protocol: 'http',
      ...(path !== undefined && { requests: [{ method: text(doc, 'method'), path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
