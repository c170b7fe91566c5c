// CitrixHoneypot (CVE-2019-19781 lure): requested paths, from its log message lines.
import { commonEvent, parseRequestLine, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

// "<ip>:<port> - <what happened>" is how the honeypot starts its messages; Logstash's grok reads the same.
const SOURCE = /^\s*\[?([0-9a-fA-F:.]+?)\]?:(\d{1,5})\b/;

export const citrixhoneypot: Honeypot = {
  type: 'CitrixHoneypot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'citrixhoneypot/log/server.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'http.http_method', 'fileinfo.filename', 'payload', 'msg', 'request'],
  fromNative(record) {
    const message = typeof record['message'] === 'string' ? record['message'] : '';
    const source = SOURCE.exec(message);
    if (source === null) return undefined;
    const request = parseRequestLine(message.slice(source[0].length).replace(/^\s*-\s*/, ''));
    const out: Record<string, unknown> = {
      src_ip: source[1],
      src_port: Number(source[2]),
      dest_port: 443,
      level: record['levelname'],
      msg: message,
      timestamp: record['asctime'],
      ...(request.method !== undefined && { 'http.http_method': request.method, request: request.path }),
    };
    return withTimestamp(out, 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('CitrixHoneypot', doc, { defaultDestPort: 443 });
    if ('skip' in base) return base;
    const path = text(doc, 'request') ?? text(doc, 'fileinfo.filename');
    const method = text(doc, 'http.http_method');
    return { ...base, transport: 'tcp', protocol: 'https', ...(path !== undefined && { requests: [{ method, path }] }) };
  },
};
