// HPFEEDS payloads → AttackEvents. ewsposter publishes on whatever channel the operator named, so each
// payload's format is recognised by its content, never by its channel: Cowrie's `cowrie.sessions`,
// dionaea's `connections`/`capture`/`dcerpcrequests`, and ewsposter's JSON alerts (every value a string,
// lists as Python reprs, one-or-many fields). Every field is attacker-controlled: type-checked, never trusted.
import type { AttackEvent, ClientIpHeader, CredentialAttempt, FileTransfer, SkipReason } from '../../attack-event.js';
import type { HoneypotType } from '../../honeypots/honeypot-type.js';
import { pathOfUrl } from '../../honeypots/common-event.js';
import { sourceFromClientHeader } from '../../honeypots/honeypots.js';
import { allHoneypots, honeypotFor } from '../../honeypots/registry.js';
import { isPlausibleTime } from '../../time.js';

export type PayloadFormat = 'cowrie.sessions' | 'dionaea.connections' | 'dionaea.capture' | 'dionaea.dcerpcrequests' | 'ewsposter.json' | 'unknown';

export type PayloadResult =
  | { readonly format: PayloadFormat; readonly attacks: readonly AttackEvent[] }
  | { readonly format: PayloadFormat; readonly skip: SkipReason };

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);
function port(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}
function time(v: unknown, fallback: number): number {
  if (typeof v !== 'string') return fallback;
  // "2024-05-01T10:00:00.123456Z", "2024-05-01 10:15:42.123456 GMT +0000", "2024-05-01 10:00:00" (UTC)
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?\s*(?:Z|GMT)?\s*([+-]\d{2}:?\d{2})?$/.exec(v.trim());
  if (m === null) return fallback;
  const zone = m[4] === undefined ? 'Z' : m[4].includes(':') ? m[4] : `${m[4].slice(0, 3)}:${m[4].slice(3)}`;
  const t = Date.parse(`${m[1]}T${m[2]}${(m[3] ?? '').slice(0, 4)}${zone}`);
  // A time outside 1995–2200 is a broken clock or hostile input: the message's arrival time stands in.
  return Number.isNaN(t) || !isPlausibleTime(t) ? fallback : t;
}

/** Parses a Python list repr of strings (`"['uname -a', \"it's\"]"`); anything else is one string. */
export function pythonStringList(text: string): string[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[') || !trimmed.endsWith(']')) return trimmed === '' ? [] : [text];
  const out: string[] = [];
  let i = 1;
  while (i < trimmed.length - 1) {
    const quote = trimmed[i];
    if (quote !== "'" && quote !== '"') {
      i++;
      continue;
    }
    let value = '';
    i++;
    while (i < trimmed.length && trimmed[i] !== quote) {
      if (trimmed[i] === '\\' && i + 1 < trimmed.length) {
        const next = trimmed[i + 1]!;
        value += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
        i += 2;
      } else value += trimmed[i++];
    }
    out.push(value);
    i++;
  }
  return out;
}

function cowrieSession(m: Json, receivedAt: number): AttackEvent | SkipReason {
  const srcIp = str(m['peerIP']);
  if (srcIp === undefined) return 'no_src_ip';
  const credentials: CredentialAttempt[] = [];
  for (const pair of Array.isArray(m['credentials']) ? m['credentials'] : []) {
    if (Array.isArray(pair)) credentials.push({ ...(str(pair[0]) !== undefined && { username: String(pair[0]) }), ...(typeof pair[1] === 'string' && { password: pair[1] }), success: false });
  }
  if (Array.isArray(m['loggedin'])) {
    const [username, password] = m['loggedin'] as unknown[];
    credentials.push({ ...(typeof username === 'string' && { username }), ...(typeof password === 'string' && { password }), success: true });
  }
  const commands = [...strings(m['commands']), ...strings(m['unknownCommands'])];
  const files: FileTransfer[] = [...strings(m['urls']).map((url) => ({ url })), ...strings(m['hashes']).filter((h) => /^[0-9a-f]{64}$/i.test(h)).map((sha256) => ({ sha256: sha256.toLowerCase() }))];
  const version = str(m['version'])?.replace(/^b'(.*)'$/, '$1');
  const srcPort = port(m['peerPort']);
  const destPort = port(m['hostPort']);
  const protocol = str(m['protocol']);
  const session = str(m['session']);
  return {
    honeypot: 'Cowrie',
    time: time(m['startTime'], receivedAt),
    srcIp,
    ...(srcPort !== undefined && { srcPort }),
    ...(destPort !== undefined && { destPort }),
    transport: 'tcp',
    ...(protocol !== undefined && { protocol }),
    ...(session !== undefined && { session }),
    ...(credentials.length > 0 && { credentials }),
    ...(commands.length > 0 && { commands }),
    ...(files.length > 0 && { files }),
    ...(version !== undefined && { clientVersion: version }),
  };
}

function dionaea(m: Json, receivedAt: number, format: PayloadFormat): AttackEvent | SkipReason {
  if (format === 'dionaea.connections') {
    // `listen` is the sensor's own socket; `connect` is dionaea reaching out (the remote is a download server).
    if (m['connection_type'] !== 'accept' && m['connection_type'] !== 'reject') return 'not_an_attack';
    const srcIp = str(m['remote_host']);
    if (srcIp === undefined) return 'no_src_ip';
    const sensor = str(m['local_host']);
    const srcPort = port(m['remote_port']);
    const destPort = port(m['local_port']);
    const transport = str(m['connection_transport']);
    const protocol = str(m['connection_protocol']);
    return {
      honeypot: 'Dionaea',
      time: receivedAt,
      srcIp,
      ...(srcPort !== undefined && { srcPort }),
      ...(destPort !== undefined && { destPort }),
      ...(transport !== undefined && { transport: transport === 'tls' ? 'tcp' : transport }),
      ...(protocol !== undefined && { protocol }),
      ...(sensor !== undefined && { sensorIps: [sensor] }),
    };
  }
  const srcIp = str(m['saddr']);
  if (srcIp === undefined) return 'no_src_ip';
  const srcPort = port(m['sport']);
  const destPort = port(m['dport']);
  const sensor = str(m['daddr']);
  const url = str(m['url']);
  const md5 = str(m['md5']);
  const files: FileTransfer[] = format === 'dionaea.capture' && (url !== undefined || md5 !== undefined)
    ? [{ ...(url !== undefined && { url }), ...(md5 !== undefined && /^[0-9a-f]{32}$/i.test(md5) && { md5: md5.toLowerCase() }) }]
    : [];
  return {
    honeypot: 'Dionaea',
    time: time(m['time'], receivedAt),
    srcIp,
    ...(srcPort !== undefined && { srcPort }),
    ...(destPort !== undefined && { destPort }),
    transport: 'tcp',
    ...(format === 'dionaea.dcerpcrequests' && { protocol: 'dcerpc' }),
    ...(sensor !== undefined && { sensorIps: [sensor] }),
    ...(files.length > 0 && { files }),
  };
}

const TYPES_BY_NAME = new Map(allHoneypots().map((h) => [h.type.toLowerCase(), h.type]));
/** ewsposter's descriptions and node ids that do not contain the T-Pot type name as a word. */
const EWS_ALIASES: Readonly<Record<string, HoneypotType>> = { citrix: 'CitrixHoneypot', gopot: 'Go-pot', rdpy: 'RDPHoneypot' };
// Own keys only: "constructor" or "__proto__" in an alert must not find Object.prototype's members.
const ewsAlias = (name: string): HoneypotType | undefined => (Object.hasOwn(EWS_ALIASES, name) ? EWS_ALIASES[name] : undefined);

/** The T-Pot type of an ewsposter alert: from `Analyzer@id` (`<hp>-community-01`), else the description. */
export function ewsType(analyzerId: string | undefined, description: string | undefined): HoneypotType | undefined {
  const fromId = analyzerId?.toLowerCase().split('-')[0];
  if (fromId !== undefined) {
    const type = TYPES_BY_NAME.get(fromId) ?? ewsAlias(fromId);
    if (type !== undefined) return type;
  }
  for (const word of (description ?? '').toLowerCase().split(/[^a-z0-9-]+/)) {
    const type = TYPES_BY_NAME.get(word) ?? ewsAlias(word);
    if (type !== undefined) return type;
  }
  return undefined;
}

function textOf(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (typeof node === 'object' && node !== null && typeof (node as Json)['#text'] === 'string') return (node as Json)['#text'] as string;
  return undefined;
}

/**
 * AdditionalData meanings under which ewsposter sends a web request's path instead of Request[@type=url]: `url`
 * (galah, gopot, hellpot, wordpot), `request_uri` (h0neytr4p), `path` (honeyaml).
 */
const PATH_MEANINGS = ['url', 'request_uri', 'path'] as const;
const MAX_PATH_INPUT = 65_536;

/** The first candidate that is a path ("/x") or a URL (its path and query), else undefined. */
function requestPath(candidates: readonly (string | undefined)[]): string | undefined {
  for (const candidate of candidates) {
    if (candidate === undefined || candidate.length > MAX_PATH_INPUT) continue;
    const path = pathOfUrl(candidate);
    if (path !== undefined) return path;
  }
  return undefined;
}

/** Ports where a honeypot listens whatever its alerts say (Honeyaml's target port is the attacker's Host header's). */
const LISTEN_PORT: Partial<Record<HoneypotType, number>> = { Honeyaml: 8080 };

/**
 * Types whose logged source may be a request header the client wrote (see each module in src/honeypots for the
 * upstream code). ewsposter's alerts never carry the headers, so the type decides for all of its alerts: H0neytr4p's
 * h0neytr4p.py does not forward `header_x-forwarded-for`, so even its requests without the header are marked here.
 */
const CLIENT_IP_HEADER: Partial<Record<HoneypotType, ClientIpHeader>> = {
  Honeyaml: 'X-Forwarded-For',
  'Go-pot': 'X-Forwarded-For',
  H0neytr4p: 'X-Forwarded-For',
  Hellpot: 'X-Real-IP',
  Ipphoney: 'X-Real-IP',
};

/**
 * The header an alert's source may come from. qeeqbox Honeypots (honeypots.py) sends only `connection` lines, with
 * the log file's name (T-Pot's config names them after the protocol: http.log, https.log…) as `modul`: only http
 * and https read the header; without a `modul` it cannot be told, so the source is marked.
 */
function clientIpHeader(type: HoneypotType, modul: string | undefined): ClientIpHeader | undefined {
  if (type === 'Honeypots') return modul === undefined || sourceFromClientHeader(modul) ? 'X-Forwarded-For or X-Real-IP' : undefined;
  return CLIENT_IP_HEADER[type];
}

const oneOrMany = (v: unknown): Json[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).filter((x): x is Json => typeof x === 'object' && x !== null);

function ewsAlert(alert: Json, receivedAt: number): AttackEvent | SkipReason {
  const requests = oneOrMany(alert['Request']);
  const description = textOf(requests.find((r) => r['@type'] === 'description'));
  const analyzer = typeof alert['Analyzer'] === 'object' && alert['Analyzer'] !== null ? str((alert['Analyzer'] as Json)['@id']) : undefined;
  const type = ewsType(analyzer, description);
  if (type === undefined) return 'unknown_type';
  const source = alert['Source'] as Json | undefined;
  const srcIp = textOf(source);
  if (srcIp === undefined || srcIp === '') return 'no_src_ip';
  const extra = new Map<string, string>();
  for (const data of oneOrMany(alert['AdditionalData'])) {
    const meaning = str(data['@meaning']);
    const value = textOf(data);
    if (meaning !== undefined && value !== undefined && !extra.has(meaning)) extra.set(meaning, value);
  }
  // ewsposter (telekom-security/ewsposter) never converts the honeypot's time to the zone its `@tz` names:
  // modules/ealert.py:289 writes `CreateTime` text DATA['timestamp'] with tz=DATA['timezone']; every honeypots/*.py
  // sets timezone = time.strftime('%z') (the ewsposter container's zone) but timestamp = the honeypot's log time with
  // its offset dropped (cowrie.py:80-81, conpot.py:40-41: datetime.fromisoformat(ts).strftime('%Y-%m-%d %H:%M:%S');
  // heralding.py:28, log4pot.py:31, ipphoney.py:28: the log text's first 19 characters) or UTC outright (dionaea.py:33:
  // utcfromtimestamp). The honeypots log UTC (heralding utcnow(), Log4Pot timezone.utc) and T-Pot gives its containers
  // no zone (docker-compose.yml: only map_data sets TZ; no /etc/localtime mount), so the text is UTC and `@tz` is only
  // right when it happens to be +0000: it is ignored, lest an ewsposter run in another zone shift attacks by hours.
  // Only glutton.py:34-35 formats the time itself in ewsposter's zone (datetime.fromtimestamp), matching its `@tz`.
  const created = alert['CreateTime'] as Json | undefined;
  const zone = type === 'Glutton' && typeof created?.['@tz'] === 'string' ? created['@tz'] : '+0000';
  const createdText = textOf(created);
  const t = createdText === undefined ? receivedAt : time(`${createdText} ${zone}`, receivedAt);
  const username = extra.get('username');
  const password = extra.get('password');
  const credentials: CredentialAttempt[] = username !== undefined || password !== undefined
    ? [{ ...(username !== undefined && { username }), ...(password !== undefined && { password }), ...(extra.has('login') && { success: extra.get('login') === 'Success' }) }]
    : [];
  const commands = extra.has('input') ? pythonStringList(extra.get('input')!) : [];
  const path = requestPath([textOf(requests.find((r) => r['@type'] === 'url')), ...PATH_MEANINGS.map((m) => extra.get(m))]);
  const md5 = extra.get('payload_md5');
  const sensors = [extra.get('externalIP'), extra.get('internalIP')].filter((v): v is string => v !== undefined);
  const target = alert['Target'] as Json | undefined;
  const srcPort = port(source?.['@port']);
  const destPort = LISTEN_PORT[type] ?? port(target?.['@port']);
  const transport = str(source?.['@protocol']);
  const version = extra.get('version');
  const session = extra.get('sessionid');
  const header = clientIpHeader(type, extra.get('modul'));
  return {
    honeypot: type,
    time: t,
    srcIp,
    ...(header !== undefined && { srcIpFromClientHeader: header }),
    ...(srcPort !== undefined && srcPort !== 0 && { srcPort }),
    ...(destPort !== undefined && { destPort }),
    ...(transport !== undefined && { transport }),
    ...(session !== undefined && { session }),
    ...(sensors.length > 0 && { sensorIps: sensors }),
    ...(credentials.length > 0 && { credentials }),
    ...(commands.length > 0 && { commands }),
    ...(path !== undefined && { requests: [{ path }] }),
    ...(md5 !== undefined && /^[0-9a-f]{32}$/i.test(md5) && { files: [{ md5: md5.toLowerCase() }] }),
    ...(version !== undefined && type === 'Cowrie' && { clientVersion: version }),
  };
}

function recognise(m: Json): PayloadFormat {
  if (typeof m['Alert'] === 'object' && m['Alert'] !== null) return 'ewsposter.json';
  if ('peerIP' in m && 'session' in m) return 'cowrie.sessions';
  if ('connection_type' in m && 'remote_host' in m) return 'dionaea.connections';
  if ('saddr' in m && ('md5' in m || 'url' in m)) return 'dionaea.capture';
  if ('saddr' in m && 'opnum' in m) return 'dionaea.dcerpcrequests';
  return 'unknown';
}

/** One PUBLISH payload → the attacks it reports (or why none). `receivedAt` stands in for a missing attack time. */
export function parsePayload(payload: Buffer, receivedAt: number): PayloadResult {
  // Binary channels (mwbinary.dionaea.sensorunique) carry files: never parse them.
  const first = payload.subarray(0, 1).toString('latin1');
  if (first !== '{') return { format: 'unknown', skip: payload.subarray(0, 6).toString('latin1') === '<Alert' ? 'unknown_type' : 'malformed' };
  let message: unknown;
  try {
    message = JSON.parse(payload.toString('utf8'));
  } catch {
    return { format: 'unknown', skip: 'malformed' };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return { format: 'unknown', skip: 'malformed' };
  const m = message as Json;
  const format = recognise(m);
  let result: AttackEvent | SkipReason;
  switch (format) {
    case 'ewsposter.json':
      result = ewsAlert(m['Alert'] as Json, receivedAt);
      break;
    case 'cowrie.sessions':
      result = cowrieSession(m, receivedAt);
      break;
    case 'dionaea.connections':
    case 'dionaea.capture':
    case 'dionaea.dcerpcrequests':
      result = dionaea(m, receivedAt, format);
      break;
    default:
      return { format, skip: 'unknown_type' };
  }
  if (typeof result === 'string') return { format, skip: result };
  return honeypotFor(result.honeypot) === undefined ? { format, skip: 'unknown_type' } : { format, attacks: [result] };
}
