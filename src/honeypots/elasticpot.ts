// ElasticPot (fake Elasticsearch): requested API paths and user agents.
import { commonEvent, renamed, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const elasticpot: Honeypot = {
  type: 'ElasticPot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'elasticpot/log/elasticpot.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'request_method', 'http_user_agent', 'http.url'],
  fromNative(record) {
    return withTimestamp(
      renamed(record, {
        dst_ip: 'dest_ip', dst_port: 'dest_port', message: 'event_type', request: 'request_method',
        user_agent: 'http_user_agent', url: 'http.url', content_type: 'http.http_content_type',
      }),
      'timestamp',
    );
  },
  normalize(doc: Doc) {
    const base = commonEvent('ElasticPot', doc, { defaultDestPort: 9200 });
    if ('skip' in base) return base;
    const path = text(doc, 'http.url');
    const agent = text(doc, 'http_user_agent');
    return {
      ...base,
      transport: 'tcp',
      protocol: 'http',
      ...(path !== undefined && { requests: [{ method: text(doc, 'request_method'), path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
