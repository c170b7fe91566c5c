// Go-pot (HTTP tarpit): requested paths and user agents.
// Its src_ip is Fiber's c.IP() (protocol/http/logging/http_access_logger.go), and protocol/http/server.go sets
// ProxyHeader to server.proxy_header with EnableTrustedProxyCheck only when trusted_proxies is non-empty. T-Pot's
// docker/go-pot/dist/config.yml has proxy_header "X-Forwarded-For" and trusted_proxies "": every client is a trusted
// proxy, so src_ip is the first valid address of the client's X-Forwarded-For when it sends one. The header is not
// among the logged fields, so every Go-pot source is marked client-supplied.
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
      srcIpFromClientHeader: 'X-Forwarded-For',
      transport: 'tcp',
      protocol: 'http',
      ...(path !== undefined && { requests: [{ method: text(doc, 'method'), path: query ? `${path}?${query.replace(/^\?/, '')}` : path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
