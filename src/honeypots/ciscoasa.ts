// Ciscoasa (Cisco ASA/AnyConnect emulation, CVE-2018-0101): requested paths of VPN-portal probes, and exploit alerts.
//
// T-Pot runs `asa_server --verbose >> ciscoasa.log 2>&1` with Python logging's format '%(message)s', so the file
// holds Python dict reprs (not JSON) among plain start-up lines and tracebacks:
// - the request log (asa_server.py `log_message`, a %-formatted string whose request text is NOT escaped):
//   {'timestamp': '2025-03-14T17:00:00.123456', 'src_ip': '192.0.2.45', 'payload_printable': '"GET /x HTTP/1.1" 302 -'}
// - an exploit alert (`str()` of a dict): `src_port` an int and the payload a list, of str (host-scan-reply texts of an
//   HTTPS POST on 8443) or of bytes (IKE fragments received on UDP 5000):
//   {'timestamp': '…', 'src_ip': '198.51.100.200', 'src_port': 500, 'payload_printable': [b'\x00…']}
// Times are naive UTC (`utcnow()`, or `now()` in the UTC container). Logstash reads the file as plain text through
// `kv` and keeps `message`: normalize reads `message` again when it is there, the kv fields otherwise.
import { commonEvent, parseRequestLine, withTimestamp } from './common-event.js';
import { port, text, type Doc } from './fields.js';
import type { Honeypot } from './honeypot.js';

const HTTPS_PORT = 8443;
const IKE_PORT = 5000;

interface AsaLine {
  readonly fields: Readonly<Record<string, string | number>>;
  /** `payload_printable` as written: a quoted string, or a list repr. Always the line's last key. */
  readonly payload?: string;
}

// A key, and a scalar value: a str repr without quotes or escapes inside (times, addresses), an int, None/True/False.
const KEY = /'([A-Za-z_][A-Za-z0-9_]{0,31})': /y;
const SCALAR = /'([^'\\]{0,256})'|"([^"\\]{0,256})"|(-?\d{1,20})|None|True|False/y;
const LINE_KEYS = new Set(['timestamp', 'src_ip', 'src_port']);

/**
 * Reads one line of ciscoasa.log: keys in order until `payload_printable`, whose value is the rest of the line (the
 * request log does not escape it, so no quote inside it can be trusted to end it). Undefined for any other line.
 */
export function parseAsaLine(line: string): AsaLine | undefined {
  const text = line.trim();
  if (!text.startsWith("{'") || !text.endsWith('}')) return undefined;
  const fields: Record<string, string | number> = {};
  let i = 1;
  for (;;) {
    KEY.lastIndex = i;
    const key = KEY.exec(text);
    if (key === null) break;
    i = KEY.lastIndex;
    const name = key[1]!;
    if (name === 'payload_printable') return { fields, payload: text.slice(i, -1) };
    SCALAR.lastIndex = i;
    const value = SCALAR.exec(text);
    if (value === null) break;
    i = SCALAR.lastIndex;
    const str = value[1] ?? value[2];
    // Only the keys asa_server writes, and the first value of each: they come before any attacker text.
    if (LINE_KEYS.has(name) && !Object.hasOwn(fields, name)) {
      if (str !== undefined) fields[name] = str;
      else if (value[3] !== undefined) fields[name] = Number(value[3]);
    }
    if (text.startsWith(', ', i)) i += 2;
    else break;
  }
  return Object.keys(fields).length > 0 ? { fields } : undefined;
}

/** The text of a quoted payload (verbatim: nothing in it is escaped), or undefined for a list or anything else. */
function quoted(payload: string): string | undefined {
  if (payload.length < 2) return undefined;
  const q = payload[0];
  return (q === "'" || q === '"') && payload.endsWith(q) ? payload.slice(1, -1) : undefined;
}

// An alert's list of bytes reprs (IKE fragments): `[b'…'` / `[b"…"`; Logstash's kv leaves `b\x00…` of it.
const BYTES_LIST = /^\[\s*(?:bytearray\()?b['"]/;
const BYTES_KV = /^(?:bytearray\()?b(?:['"]|\\x[0-9a-fA-F]{2})/;

type Kind = 'request' | 'ike' | 'https-alert';

/** Logstash's kv value: the text inside the quotes or brackets, with `'`, `{`, `}` removed (remove_char_value). */
function kvValue(payload: string): string {
  const inner = quoted(payload) ?? (payload.startsWith('[') && payload.endsWith(']') ? payload.slice(1, -1) : payload);
  return inner.replace(/['{}]/g, '');
}

export const ciscoasa: Honeypot = {
  type: 'Ciscoasa',
  role: 'honeypot',
  interaction: 'low',
  logs: [{ path: 'ciscoasa/log/ciscoasa.log', format: 'text' }],
  // Not `message`: Elasticsearch reads one field list for every type, and Cowrie's long messages would cost every
  // document; Ciscoasa's kv fields say the same (normalize reads `message` only when a document carries it).
  fields: ['src_ip', 'src_port', 'timestamp', 'payload_printable'],
  fromNative(record) {
    const message = record['message'];
    const line = typeof message === 'string' ? parseAsaLine(message) : undefined;
    // Start-up lines and tracebacks: Logstash's kv finds no src_ip in them.
    if (line === undefined || typeof line.fields['src_ip'] !== 'string') return undefined;
    const out: Record<string, unknown> = { message, ...line.fields };
    if (typeof out['src_port'] === 'number') out['src_port'] = String(out['src_port']);
    if (line.payload !== undefined) out['payload_printable'] = kvValue(line.payload);
    return withTimestamp(out, 'timestamp');
  },
  normalize(doc: Doc) {
    const message = text(doc, 'message');
    const line = message !== undefined ? parseAsaLine(message) : undefined;
    let view: Doc = doc;
    let kind: Kind;
    let request: { method?: string; path?: string } = {};
    if (line !== undefined && typeof line.fields['src_ip'] === 'string') {
      // The line itself: its first src_ip (kv makes a list of a repeated key), its payload before kv mangled it.
      view = { ...doc, ...line.fields };
      const payload = line.payload ?? '';
      const alert = line.fields['src_port'] !== undefined || payload.startsWith('[');
      kind = alert ? (BYTES_LIST.test(payload) ? 'ike' : 'https-alert') : 'request';
      const requestLine = quoted(payload);
      if (kind === 'request' && requestLine !== undefined) request = parseRequestLine(requestLine);
    } else {
      const payload = text(doc, 'payload_printable');
      const alert = port(doc, 'src_port') !== undefined;
      kind = alert ? (payload !== undefined && BYTES_KV.test(payload) ? 'ike' : 'https-alert') : 'request';
      if (kind === 'request' && payload !== undefined) request = parseRequestLine(payload);
    }
    const base = commonEvent('Ciscoasa', view, { defaultDestPort: HTTPS_PORT });
    if ('skip' in base) return base;
    if (kind === 'ike') return { ...base, destPort: IKE_PORT, transport: 'udp', protocol: 'ike' };
    return {
      ...base,
      destPort: HTTPS_PORT,
      transport: 'tcp',
      protocol: 'https',
      ...(request.path !== undefined && { requests: [request] }),
    };
  },
};
