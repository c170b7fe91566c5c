// Ciscoasa (Cisco ASA/AnyConnect emulation): requested paths of VPN-portal exploit attempts.
import { commonEvent, parseRequestLine, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

export const ciscoasa: Honeypot = {
  type: 'Ciscoasa',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'ciscoasa/log/ciscoasa.log', format: 'json' }],
  fields: ['src_ip', 'timestamp', 'payload_printable'],
  fromNative(record) {
    // The log also holds status lines (no attacker); Logstash's kv filter finds no src_ip in them.
    if (typeof record['src_ip'] !== 'string') return undefined;
    return withTimestamp({ ...record }, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Ciscoasa', doc, { defaultDestPort: 8443 });
    if ('skip' in base) return base;
    const payload = text(doc, 'payload_printable');
    const request = payload !== undefined ? parseRequestLine(payload) : {};
    return {
      ...base,
      transport: 'tcp',
      protocol: request.method !== undefined ? 'https' : 'ike',
      ...(request.path !== undefined && { requests: [request] }),
    };
  },
};
