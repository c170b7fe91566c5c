// Log4pot (Log4Shell lure): requested paths, user agents, and CVE-2021-44228 with the lookup's server when a JNDI
// lookup is sent.
import { commonEvent, parseRequestLine, renamed, withTimestamp } from './common-event.js';
import { field, firstText, text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

const JNDI = /\$\{jndi:/i;
// The server a JNDI lookup names, once deobfuscated: "${jndi:ldap://198.51.100.99:1389/a}". A URL still holding a
// "${" (a nested lookup T-Pot left unresolved) names no usable server.
const JNDI_URL = /\$\{jndi:((?:ldaps?|rmi|dns|iiop|corba|nds|nis|https?):\/\/[^\s}$]{1,2000})\}/gi;
const MAX_CALLBACKS = 4;

function jndiCallbacks(values: readonly (string | undefined)[]): string[] {
  const found = new Set<string>();
  for (const value of values) {
    if (value === undefined) continue;
    for (const match of value.matchAll(JNDI_URL)) {
      found.add(match[1]!);
      if (found.size === MAX_CALLBACKS) return [...found];
    }
  }
  return [...found];
}

function headerValues(doc: Doc): string[] {
  const headers = field(doc, 'headers');
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return [];
  return Object.values(headers as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
}

export const log4pot: Honeypot = {
  type: 'Log4pot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'log4pot/log/log4pot.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'timestamp', 'reason', 'request_uri', 'headers', 'payload', 'deobfuscated_payload'],
  fromNative(record) {
    return withTimestamp(renamed(record, { request: 'request_uri', server_port: 'dest_port', port: 'src_port', client: 'src_ip' }), 'timestamp');
  },
  normalize(doc: Doc) {
    const base = commonEvent('Log4pot', doc, { defaultDestPort: 8080 });
    if ('skip' in base) return base;
    const requestLine = text(doc, 'request_uri');
    const request = requestLine !== undefined ? (requestLine.startsWith('/') ? { path: requestLine } : parseRequestLine(requestLine)) : {};
    const agent = firstText(doc, 'headers.User-Agent', 'headers.user-agent');
    const probes = [text(doc, 'payload'), text(doc, 'deobfuscated_payload'), requestLine, ...headerValues(doc)];
    const exploit = probes.some((value) => value !== undefined && JNDI.test(value));
    const callbacks = exploit ? jndiCallbacks(probes) : [];
    return {
      ...base,
      transport: 'tcp',
      protocol: 'http',
      ...(request.path !== undefined && { requests: [request] }),
      ...(agent !== undefined && { userAgents: [agent] }),
      ...(exploit && { cves: ['CVE-2021-44228'] }),
      ...(callbacks.length > 0 && { callbacks }),
    };
  },
};
