// The part of an AttackEvent every honeypot shares: who attacked, when, on which port.
import type { AttackEvent, Origin, Skip } from '../attack-event.js';
import { attackTime, field, port, sensorIps, text, type Doc } from './fields.js';
import type { HoneypotType } from './honeypot-type.js';

export type CommonEvent = Pick<AttackEvent, 'honeypot' | 'time' | 'srcIp' | 'srcPort' | 'destPort' | 'sensorIps' | 'origin'>;

export interface CommonEventOptions {
  /** Field holding the attacker address (default `src_ip`). */
  readonly srcField?: string;
  /** Native time fields tried after `@timestamp`. */
  readonly timeFields?: readonly string[];
  /** Port the honeypot listens on when the document does not say. */
  readonly defaultDestPort?: number;
}

const MAX_AS_ORG = 100;

/** Logstash's GeoIP fields (`geoip.country_code2`, `geoip.asn`, `geoip.as_org`), validated; undefined when absent. */
export function originOf(doc: Doc): Origin | undefined {
  const code = field(doc, 'geoip.country_code2');
  const country = typeof code === 'string' && /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : undefined;
  const rawAsn = field(doc, 'geoip.asn');
  const asn = typeof rawAsn === 'number' && Number.isInteger(rawAsn) && rawAsn > 0 && rawAsn < 2 ** 32 ? rawAsn : undefined;
  const org = field(doc, 'geoip.as_org');
  const asOrg = typeof org === 'string' ? org.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim().slice(0, MAX_AS_ORG) : '';
  if (country === undefined && asn === undefined) return undefined;
  return { ...(country !== undefined && { country }), ...(asn !== undefined && { asn }), ...(asn !== undefined && asOrg !== '' && { asOrg }) };
}

// Longer than any textual IPv6 address (45 chars incl. an embedded IPv4), with room for a zone id.
const MAX_IP_TEXT = 64;

export function commonEvent(type: HoneypotType, doc: Doc, options: CommonEventOptions = {}): CommonEvent | Skip {
  const srcField = options.srcField ?? 'src_ip';
  const raw = field(doc, srcField);
  if (raw === undefined || raw === null || raw === '') return { skip: 'no_src_ip' };
  if (typeof raw !== 'string' || raw.length > MAX_IP_TEXT) return { skip: 'invalid_src_ip' };
  const time = attackTime(doc, ...(options.timeFields ?? ['timestamp']));
  if (time === undefined) return { skip: 'no_timestamp' };
  const destPort = port(doc, 'dest_port') ?? options.defaultDestPort;
  const srcPort = port(doc, 'src_port');
  const sensors = sensorIps(doc);
  const origin = originOf(doc);
  return {
    honeypot: type,
    time,
    srcIp: raw.trim(),
    ...(srcPort !== undefined && { srcPort }),
    ...(destPort !== undefined && { destPort }),
    ...(sensors.length > 0 && { sensorIps: sensors }),
    ...(origin !== undefined && { origin }),
  };
}

/** Renames keys the way Logstash's `mutate { rename => … }` does (missing keys are ignored). */
export function renamed(record: Doc, renames: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const [from, to] of Object.entries(renames)) {
    if (Object.hasOwn(out, from)) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out;
}

/** Sets `@timestamp` from the first native time field that parses (Logstash's `date` filter). */
export function withTimestamp(record: Record<string, unknown>, ...timeFields: string[]): Record<string, unknown> {
  for (const name of timeFields) {
    const t = attackTime({ [name]: record[name] } as Doc, name);
    if (t !== undefined) {
      record['@timestamp'] = new Date(t).toISOString();
      return record;
    }
  }
  return record;
}

export { text };

/** Splits Logstash-style "ip:port" (also "[v6]:port" and bare IPv6 with a trailing :port) correctly for IPv6. */
export function splitHostPort(value: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) return { host: bracketed[1]!, ...(bracketed[2] !== undefined && { port: Number(bracketed[2]) }) };
  const colons = value.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = value.split(':');
    return /^\d{1,5}$/.test(port ?? '') ? { host: host!, port: Number(port) } : { host: value };
  }
  // Bare IPv6 with a port appended (what Sentrypeer writes): the last group is the port only if what is left is an address.
  const last = value.lastIndexOf(':');
  const head = value.slice(0, last);
  const tail = value.slice(last + 1);
  if (colons > 1 && /^\d{1,5}$/.test(tail) && head.includes('::') && !value.endsWith('::')) return { host: head, port: Number(tail) };
  return { host: value };
}

/**
 * Method and path from an HTTP request line: "GET /x HTTP/1.1", or as an access log quotes it ("GET /x HTTP/1.1"
 * 200 -). The target must look like one (a path, an absolute URL, `*`): "IKE SA_INIT" is no request.
 */
export function parseRequestLine(line: string): { method?: string; path?: string } {
  const match = /^"?([A-Z]{3,12}) (\/\S*|[a-z][a-z0-9+.-]*:\/\/\S+|\*)(?: HTTP\/\d(?:\.\d)?)?/.exec(line);
  if (match === null) return {};
  // Quoted: the closing quote is not part of the path.
  const path = line.startsWith('"') && match[2]!.endsWith('"') ? match[2]!.slice(0, -1) : match[2]!;
  return { method: match[1]!, path };
}

/** The path and query of a URL that names the honeypot itself ("http://tpot:8080/wp-login.php" → "/wp-login.php"). */
export function pathOfUrl(url: string): string | undefined {
  if (url.startsWith('/')) return url;
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)/i.exec(url);
  if (match === null) return undefined;
  return match[1] === '' ? '/' : match[1]!.startsWith('/') ? match[1] : `/${match[1]}`;
}
