// H0neytr4p (web trap for exploit scanners): requested paths and user agents.
import { commonEvent, withTimestamp } from './common-event.js';
import { field, text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

// Its src_ip is GetIP() (pkg/reqHandler.go): the raw value of the client's X-Forwarded-For header when non-empty,
// the TCP peer only otherwise; no proxy is configured or checked. Every request header is also logged, as
// `header_<lower-case name>` (GetFlatHeaders, same file), so a source is client-supplied exactly when
// `header_x-forwarded-for` is there and not empty (an empty header leaves GetIP on the peer).
const FORWARDED_FOR = 'header_x-forwarded-for';

function fromForwardedFor(doc: Doc): boolean {
  const value = field(doc, FORWARDED_FOR);
  // Anything but absent or empty counts: a non-string here is no H0neytr4p log, and doubt keeps the address out of IDS.
  return value !== undefined && value !== null && value !== '';
}

export const h0neytr4p: Honeypot = {
  type: 'H0neytr4p',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'h0neytr4p/log/log.json', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'protocol', 'request_method', 'request_uri', 'header_user-agent', FORWARDED_FOR],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('H0neytr4p', doc);
    if ('skip' in base) return base;
    const path = text(doc, 'request_uri');
    const agent = text(doc, 'header_user-agent');
    const protocol = text(doc, 'protocol')?.toLowerCase() ?? 'http';
    return {
      ...base,
      ...(fromForwardedFor(doc) && { srcIpFromClientHeader: 'X-Forwarded-For' as const }),
      transport: 'tcp',
      protocol,
      ...(path !== undefined && { requests: [{ method: text(doc, 'request_method'), path }] }),
      ...(agent !== undefined && { userAgents: [agent] }),
    };
  },
};
