// CitrixHoneypot (CVE-2019-19781 lure): requested paths, from its log messages.
//
// server.log holds JSON lines {"asctime", "levelname", "message"}; CitrixHoneypot.py logs every message as
// "({ip}:{port}): {text}", e.g. "(192.0.2.7:51234): GET Header: /vpn/../vpns/cfg/smb.conf". T-Pot's Logstash grok
// (patterns tried in order, anchored at the start only):
//   1. \(IPV4:src_ip:INT:src_port\): JAVAMETHOD:http.http_method SPACE CISCO_REASON:fileinfo.state: UNIXPATH:fileinfo.filename
//   2. the same with GREEDYDATA:payload after the state
//   3. … S3_REQUEST_LINE:msg CISCO_REASON:fileinfo.state: GREEDYDATA:payload
//   4. … GREEDYDATA:msg
// then removes asctime and message, renames levelname to level and adds dest_port 443. A line none of them matches
// (the start-up line) is dropped. Requests are the "GET Header: <path>" / "POST Header: <path>" lines.
import { commonEvent, pathOfUrl, withTimestamp } from './common-event.js';
import { text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

// "(ip:port): " — grok wants IPv4; an IPv6 peer (the honeypot binds 0.0.0.0, so none) is accepted here too.
const SOURCE = /^\(([0-9A-Fa-f:.]{2,45}?):(\d{1,5})\): /;
// Patterns 1/2: a Java-identifier "method", optional spaces, words (the "state", maybe none), ": ".
const METHOD_STATE = /^([A-Za-z$_][A-Za-z0-9$_]{0,63})\s{0,16}([A-Za-z0-9_ ]{0,64}?): /;
// grok's UNIXPATH, (/([\w_%!$@:.,+~-]+|\\.)*)+, written without nested quantifiers.
const UNIXPATH = /^\/(?:[\w%!$@:.,+~/-]|\\.)*/;

/** The fields T-Pot's grok extracts from a message after its "(ip:port): " prefix. */
function grokFields(rest: string): Record<string, string> {
  const head = METHOD_STATE.exec(rest);
  if (head !== null) {
    const after = rest.slice(head[0].length);
    const path = UNIXPATH.exec(after)?.[0];
    const state = head[2]!.trim();
    return {
      'http.http_method': head[1]!,
      ...(state !== '' && { 'fileinfo.state': state }),
      ...(path !== undefined ? { 'fileinfo.filename': path } : { payload: after }),
    };
  }
  // Pattern 3: "<verb> <word> <state>: <payload>" ("Detected CVE-2019-19781 payload: …").
  const colon = rest.indexOf(': ');
  const before = colon > 0 ? rest.slice(0, colon) : '';
  const space = before.lastIndexOf(' ');
  if (space > 0 && /^\w+$/.test(before.slice(space + 1))) {
    return { msg: before.slice(0, space), 'fileinfo.state': before.slice(space + 1), payload: rest.slice(colon + 2) };
  }
  return { msg: rest };
}

export const citrixhoneypot: Honeypot = {
  type: 'CitrixHoneypot',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'citrixhoneypot/log/server.log', format: 'json' }],
  fields: ['src_ip', 'src_port', 'dest_port', 'asctime', 'http.http_method', 'fileinfo.state', 'fileinfo.filename', 'payload', 'msg'],
  fromNative(record) {
    const message = typeof record['message'] === 'string' ? record['message'] : '';
    const source = SOURCE.exec(message);
    if (source === null) return undefined;
    const out: Record<string, unknown> = {
      src_ip: source[1],
      src_port: Number(source[2]),
      ...grokFields(message.slice(source[0].length)),
      ...(record['levelname'] !== undefined && { level: record['levelname'] }),
      dest_port: '443',
      asctime: record['asctime'],
    };
    withTimestamp(out, 'asctime');
    // The date filter removes asctime once it has parsed it.
    if (out['@timestamp'] !== undefined || out['asctime'] === undefined) delete out['asctime'];
    return out;
  },
  normalize(doc: Doc) {
    const base = commonEvent('CitrixHoneypot', doc, { defaultDestPort: 443, timeFields: ['asctime'] });
    if ('skip' in base) return base;
    const method = text(doc, 'http.http_method');
    // Only "<METHOD> Header: <path>" names a request ("POST body: …", "Error: …" fill the same fields).
    const isRequest = text(doc, 'fileinfo.state') === 'Header' && method !== undefined && /^[A-Z]{3,12}$/.test(method);
    const target = isRequest ? text(doc, 'fileinfo.filename') ?? text(doc, 'payload') : undefined;
    const path = target !== undefined ? pathOfUrl(target) : undefined;
    return { ...base, transport: 'tcp', protocol: 'https', ...(path !== undefined && { requests: [{ method, path }] }) };
  },
};
