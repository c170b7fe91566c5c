// Honeypots (qeeqbox's collection of low-interaction servers): service probed, credentials tried.
import { commonEvent, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

/**
 * Protocols whose src_ip may be a header the client wrote. qeeqbox's http and https servers (base_http_server.py)
 * log get_headers_and_ip_from_request() (helper.py), which with the `fix_get_client_ip` option takes the client's
 * X-Forwarded-For, else X-Real-IP, header before the peer; T-Pot's docker/honeypots/dist/config.json sets that
 * option for http and https only (ipp, which calls the same function, runs without it). Only the `connection` lines
 * carry the headers (as `data`), the GET/POST and login lines do not: every http/https source is marked.
 * T-Pot's custom_filter renames `server` to `protocol` with "_server" removed ("http_server" → "http").
 */
export const CLIENT_HEADER_PROTOCOLS: ReadonlySet<string> = new Set(['http', 'https']);

/** Whether a qeeqbox protocol (as logged, or as ewsposter's `modul`) may log a client-supplied source. */
export function sourceFromClientHeader(protocol: string): boolean {
  return CLIENT_HEADER_PROTOCOLS.has(protocol.toLowerCase().replace(/_server$/, ''));
}

export const honeypots: Honeypot = {
  type: 'Honeypots',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'honeypots/log/*.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'protocol', 'action', 'username', 'password'],
  fromNative(record) {
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Honeypots', doc);
    if ('skip' in base) return base;
    const protocol = text(doc, 'protocol')?.toLowerCase();
    const username = text(doc, 'username');
    const password = text(doc, 'password');
    return {
      ...base,
      ...(protocol !== undefined && sourceFromClientHeader(protocol) && { srcIpFromClientHeader: 'X-Forwarded-For or X-Real-IP' as const }),
      transport: protocol !== undefined && ['dns', 'ntp', 'snmp', 'sip'].includes(protocol) ? 'udp' : 'tcp',
      ...(protocol !== undefined && { protocol }),
      ...((username !== undefined || password !== undefined) && { credentials: [{ username, password }] }),
    };
  },
};
