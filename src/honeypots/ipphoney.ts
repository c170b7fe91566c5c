// Ipphoney (Internet Printing Protocol): requested printer paths and user agents.
// Its src_ip is get_real_ip() (core/tools.py, called by report_event in core/protocol.py): the client's X-Real-IP
// header when sent, the TCP peer only otherwise (src_port likewise from X-Real-Port). The header is not logged, so
// every Ipphoney source is marked client-supplied.
import { commonEvent, renamed, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const ipphoney: Honeypot = {
  type: 'Ipphoney',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'ipphoney/log/ipphoney.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'request_method', 'http_user_agent', 'http.url'],
  fromNative(record) {
    const out = renamed(record, {
      query: 'ipp_query', content_type: 'http.http_content_type', dst_ip: 'dest_ip', dst_port: 'dest_port',
      request: 'request_method', operation: 'data', user_agent: 'http_user_agent', url: 'http.url',
    });
    // Ipphoney writes "+00:00Z"; T-Pot's Logstash strips the trailing Z the same way.
    if (typeof out['timestamp'] === 'string') out['timestamp'] = out['timestamp'].replace(/\+00:00Z$/, '+00:00');
    return withTimestamp(out, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Ipphoney', doc, { defaultDestPort: 631 });
    if ('skip' in base) return base;
    const path = text(doc, 'http.url');
    const agent = text(doc, 'http_user_agent');
    return {
      ...base,
      srcIpFromClientHeader: 'X-Real-IP',
      transport: 'tcp',
      protocol: 'ipp',
      ...(path !== undefined && { requests: [{ method: text(doc, 'request_method'), path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
