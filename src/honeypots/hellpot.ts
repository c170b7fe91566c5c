// Hellpot (HTTP tarpit): requested paths and user agents.
// Its REMOTE_ADDR is the client's X-Real-IP header when one is sent, the TCP peer only otherwise: getRealRemote() in
// internal/http/router.go returns the `real_ip_header` header's raw value if non-empty, and T-Pot's
// docker/hellpot/dist/config.toml sets real_ip_header = 'X-Real-IP' with no proxy in front. The log does not say
// which it was, so every Hellpot source is marked client-supplied.
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
      srcIpFromClientHeader: 'X-Real-IP',
      transport: 'tcp',
      protocol: 'http',
      ...(path !== undefined && { requests: [{ path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
