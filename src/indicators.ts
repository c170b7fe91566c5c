// AttackEvent → typed MISP indicators (attributes and object tuples), validated and length-bounded.
import { isIP } from 'node:net';
import type { AttackEvent, Skip } from './attack-event.js';
import type { AttackerIpPolicy } from './attacker-ip-policy.js';
import type { ObjectTemplateName } from './misp/object-templates.js';
import { phpTrim } from './misp/value-identity.js';

/** MISP rejects attribute values over 65535 bytes ("The entered string is too long…"). */
export const MAX_VALUE_BYTES = 65_535;

export interface AttributeIndicator {
  readonly kind: 'attribute';
  readonly type: string;
  readonly category: string;
  readonly value: string;
  readonly toIds: boolean;
  /** What the value is, when the type alone does not say (goes first in the MISP comment). */
  readonly label?: string;
}

export interface ObjectAttributeValue {
  readonly relation: string;
  readonly type: string;
  readonly category: string;
  readonly value: string;
  readonly toIds: boolean;
}

export interface ObjectIndicator {
  readonly kind: 'object';
  readonly template: ObjectTemplateName;
  /** The aggregated tuple's natural key (the object's identity within its event). */
  readonly key: string;
  readonly attributes: readonly ObjectAttributeValue[];
  /** Noun for the hit count in the object's comment ("attempts", "commands"…). */
  readonly unit: string;
  /** Said after the count in the object's comment: what no attribute can hold ("empty password"). */
  readonly note?: string;
}

export type Indicator = AttributeIndicator | ObjectIndicator;

/** The note of a login tried with an empty password (MISP refuses an empty value, so no attribute can hold it). */
export const EMPTY_PASSWORD = 'empty password';

export const DROP_REASONS = ['value_too_long', 'invalid_value'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** What one attack event contributes to its daily bucket. */
export interface Observation {
  readonly srcIp: string;
  /** Targeted port as "22/tcp" (or "22" when the transport is unknown). */
  readonly port?: string;
  readonly protocol?: string;
  readonly session?: string;
  readonly indicators: readonly Indicator[];
  /** Values left out, by reason (oversized or malformed attacker data). */
  readonly dropped: readonly DropReason[];
}

// Honeypots whose logins and commands fit MISP's `cowrie` object template (made for Cowrie's events).
const COWRIE_OBJECTS = new Set(['Cowrie']);
// Honeypots whose value is which service was probed: one ip-port object per (attacker, port, service).
const IP_PORT_OBJECTS = new Set(['Dionaea']);

const HEX = /^[0-9a-f]+$/i;
// \s is exactly what String.prototype.trim removes.
const NOT_BLANK = /\S/;
// MISP refuses a value of nothing but control characters once trimmed ("considered to be empty"); an event edit
// drops it without a word, so it is left out here (with blanks among them too: nothing of value is lost).
const CONTROL_ONLY = /^[\x00-\x20\x7f]*$/;
// MISP refuses these types with a line feed in the value (AttributeValidationTool::validate).
const ONE_LINE_TYPES = new Set(['uri', 'user-agent', 'filename']);
// A URL with control characters is not one a proxy or IDS could ever match.
const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;
const CVE = /^CVE-\d{4}-\d{4,}$/;
const EMAIL = /^[^\s@<>()[\],;:"]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,63}$/i;

class IndicatorList {
  readonly indicators: Indicator[] = [];
  readonly dropped: DropReason[] = [];

  /** A value fit for MISP: well-formed UTF-16, not blank, at most MAX_VALUE_BYTES of UTF-8. */
  bounded(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    // JSON.parse can produce lone surrogates ("\ud800"); PHP's json_decode rejects them, breaking the whole request.
    // (Checked first: nearly every value is well-formed already, and this runs for every value of every document.)
    const wellFormed = value.isWellFormed() ? value : value.toWellFormed();
    if (!NOT_BLANK.test(wellFormed)) return undefined;
    if (CONTROL_ONLY.test(wellFormed)) {
      this.dropped.push('invalid_value');
      return undefined;
    }
    // Cheap length test first: a UTF-8 encoding is at most 3 bytes per UTF-16 code unit.
    if (wellFormed.length * 3 > MAX_VALUE_BYTES && Buffer.byteLength(wellFormed, 'utf8') > MAX_VALUE_BYTES) {
      this.dropped.push('value_too_long');
      return undefined;
    }
    return wellFormed;
  }

  /**
   * A standalone attribute, its value as MISP stores it (trimmed: MISP trims, and two values that differ only
   * there would be refused as the same one).
   */
  attribute(type: string, category: string, raw: string | undefined, toIds: boolean, label?: string): string | undefined {
    const bounded = this.bounded(raw);
    if (bounded === undefined) return undefined;
    const value = oneLineIfNeeded(type, phpTrim(bounded));
    this.indicators.push({ kind: 'attribute', type, category, value, toIds, ...(label && { label }) });
    return value;
  }

  invalid(): void {
    this.dropped.push('invalid_value');
  }
}

/** Line breaks shown as `\r` and `\n` in the types MISP refuses with a line feed (an attacker's header injection). */
function oneLineIfNeeded(type: string, value: string): string {
  return ONE_LINE_TYPES.has(type) && /[\r\n]/.test(value) ? value.replace(/\r/g, '\\r').replace(/\n/g, '\\n') : value;
}

function hash(value: string | undefined, length: number): string | undefined {
  return value !== undefined && value.length === length && HEX.test(value) ? value.toLowerCase() : undefined;
}

const DOWNLOAD_SCHEMES = /^(https?|ftp|tftp):\/\//i;
const CALLBACK_SCHEMES = /^(ldaps?|rmi|dns|iiop|corba|nds|nis|https?):\/\//i;

/** The URL if it is one MISP should hold as `url` (one of `schemes`), with its host when that host is an IP literal. */
function parseUrl(raw: string, schemes: RegExp): { url: string; ipHost?: string } | undefined {
  if (!schemes.test(raw) || CONTROL_CHARACTER.test(raw)) return undefined;
  let host: string;
  try {
    host = new URL(raw).hostname;
  } catch {
    return undefined;
  }
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return isIP(bare) !== 0 ? { url: raw, ipHost: bare } : { url: raw };
}

/**
 * UDP services that answer a small request with a large reply: reflection attacks send them requests with the
 * victim's address forged as the source (Ddospot exists to lure exactly these). The address is who the attack
 * targets as often as not, and UDP cannot tell; so, like a client-written source, it is kept but not for IDS export
 * (blocking it would block the victim). Scanners of other UDP services (SIP, IKE…) need the answer and do not forge.
 */
const REFLECTION_PRONE = new Set(['chargen', 'dns', 'ntp', 'ssdp', 'snmp', 'ipmi', 'bacnet']);
/** Their well-known ports, for honeypots that log UDP without naming the service (Glutton, Suricata flows). */
const REFLECTION_PRONE_PORTS = new Set([19, 53, 123, 161, 623, 1900, 47808]);

function isReflectionLure(event: AttackEvent, protocol: string | undefined): boolean {
  if (event.transport?.toLowerCase() !== 'udp') return false;
  if (event.honeypot === 'Ddospot') return true;
  return (protocol !== undefined && REFLECTION_PRONE.has(protocol.toLowerCase())) || (event.destPort !== undefined && REFLECTION_PRONE_PORTS.has(event.destPort));
}

function portLabel(event: AttackEvent, transport: string | undefined): string | undefined {
  if (event.destPort === undefined) return undefined;
  return transport ? `${event.destPort}/${transport}` : String(event.destPort);
}

/**
 * Turns one attack event into the indicators it proves. The attacker address must pass `policy`
 * (routable, not the sensor, not excluded); otherwise the whole event is skipped with the reason.
 */
export function extractIndicators(event: AttackEvent, policy: AttackerIpPolicy): Observation | Skip {
  for (const sensorIp of event.sensorIps ?? []) policy.addSensorIp(sensorIp);
  const verdict = policy.classify(event.srcIp);
  if ('skip' in verdict) return verdict;
  const srcIp = verdict.ip;
  const list = new IndicatorList();
  // Transport, protocol and session are attacker-written too, and reach MISP (object values, comments).
  const protocol = list.bounded(event.protocol);
  const session = list.bounded(event.session);
  const port = portLabel(event, list.bounded(event.transport));
  const cowrieStyle = COWRIE_OBJECTS.has(event.honeypot);

  // A source the honeypot may have read from a request header the client wrote (event.srcIpFromClientHeader, set by
  // the normalizer: Honeyaml, Hellpot, Go-pot, Ipphoney, H0neytr4p when it logged the header, qeeqbox's http/https):
  // anyone can make it say 8.8.8.8, so it is kept as intelligence but not for IDS export (blocking it could block a
  // bystander). The comment names the header.
  const header = event.srcIpFromClientHeader;
  if (header !== undefined) list.attribute('ip-src', 'Network activity', srcIp, false, `Source address as logged (may come from the client's ${header} header)`);
  else if (isReflectionLure(event, protocol)) list.attribute('ip-src', 'Network activity', srcIp, false, `Source address as logged (UDP ${protocol ?? (event.destPort !== undefined ? `port ${event.destPort}` : 'reflection lure')}: may be forged, often the victim of a reflection attack)`);
  else list.attribute('ip-src', 'Network activity', srcIp, true);

  for (const credential of event.credentials ?? []) {
    const username = list.bounded(credential.username);
    const password = list.bounded(credential.password);
    if (username === undefined && password === undefined) continue;
    // An empty password is a guess of its own (a device with none set); MISP refuses an empty value, so the object's
    // comment says it, and the tuple keeps it apart from a login that logged no password.
    const emptyPassword = credential.password === '';
    const passwordKey = password ?? (emptyPassword ? '' : null);
    const note = emptyPassword ? { note: EMPTY_PASSWORD } : {};
    const text = (relation: string, value: string): ObjectAttributeValue => ({ relation, type: 'text', category: 'Other', value, toIds: false });
    if (cowrieStyle) {
      const outcome = credential.success ? 'cowrie.login.success' : 'cowrie.login.failed';
      list.indicators.push({
        kind: 'object',
        template: 'cowrie',
        key: JSON.stringify(['login', srcIp, protocol ?? '', username ?? null, passwordKey, outcome]),
        unit: 'attempts',
        ...note,
        attributes: [
          { relation: 'src_ip', type: 'ip-src', category: 'Network activity', value: srcIp, toIds: true },
          ...(username !== undefined ? [text('username', username)] : []),
          ...(password !== undefined ? [text('password', password)] : []),
          ...(protocol ? [text('protocol', protocol)] : []),
          text('eventid', outcome),
        ],
      });
    } else {
      list.indicators.push({
        kind: 'object',
        template: 'credential',
        key: JSON.stringify([username ?? null, passwordKey]),
        unit: 'attempts',
        ...note,
        attributes: [
          ...(username !== undefined ? [text('username', username)] : []),
          ...(password !== undefined ? [text('password', password)] : []),
          text('type', 'password'),
          text('origin', 'bruteforce-scanning'),
          text('format', 'clear-text'),
        ],
      });
    }
  }

  for (const raw of event.commands ?? []) {
    const command = list.bounded(raw);
    if (command === undefined) continue;
    if (cowrieStyle) {
      list.indicators.push({
        kind: 'object',
        template: 'cowrie',
        key: JSON.stringify(['command', srcIp, command]),
        unit: 'times',
        attributes: [
          { relation: 'src_ip', type: 'ip-src', category: 'Network activity', value: srcIp, toIds: true },
          { relation: 'input', type: 'text', category: 'Other', value: command, toIds: false },
          ...(protocol ? [{ relation: 'protocol', type: 'text', category: 'Other', value: protocol, toIds: false }] : []),
          { relation: 'eventid', type: 'text', category: 'Other', value: 'cowrie.command.input', toIds: false },
        ],
      });
    } else {
      list.indicators.push({
        kind: 'object',
        template: 'command-line',
        key: command,
        unit: 'times',
        attributes: [{ relation: 'command_line', type: 'text', category: 'Other', value: command, toIds: false }],
      });
    }
  }

  for (const file of event.files ?? []) {
    let urlValue: string | undefined;
    if (file.url !== undefined) {
      const parsed = parseUrl(file.url, DOWNLOAD_SCHEMES);
      if (parsed === undefined) list.invalid();
      else {
        urlValue = list.attribute('url', 'Payload delivery', parsed.url, true, 'Download URL');
        if (urlValue !== undefined && parsed.ipHost !== undefined) {
          const host = policy.classify(parsed.ipHost);
          if ('ip' in host) list.attribute('ip-dst', 'Network activity', host.ip, true, 'Download host');
        }
      }
    }
    const sha256 = hash(file.sha256, 64);
    const md5 = hash(file.md5, 32);
    if (file.sha256 !== undefined && sha256 === undefined) list.invalid();
    if (file.md5 !== undefined && md5 === undefined) list.invalid();
    if (sha256 === undefined && md5 === undefined) continue;
    const bounded = list.bounded(file.filename !== undefined && file.filename.length <= 255 ? file.filename : undefined);
    const filename = bounded === undefined ? undefined : oneLineIfNeeded('filename', bounded);
    // A malware sample's hash is for IDS export; the hash of a probe the client sent (often a request naming the
    // sensor's own address, or a TLS hello) would only make IDS and EDR rules that match nothing.
    const sample = file.sentOnConnection !== true;
    list.indicators.push({
      kind: 'object',
      template: 'file',
      key: sha256 ?? `md5:${md5}`,
      unit: sample ? 'transfers' : 'connections',
      attributes: [
        ...(sha256 !== undefined ? [{ relation: 'sha256', type: 'sha256', category: 'Payload delivery', value: sha256, toIds: sample }] : []),
        ...(md5 !== undefined ? [{ relation: 'md5', type: 'md5', category: 'Payload delivery', value: md5, toIds: sample }] : []),
        ...(filename !== undefined ? [{ relation: 'filename', type: 'filename', category: 'Payload delivery', value: filename, toIds: false }] : []),
        ...(file.size !== undefined && Number.isSafeInteger(file.size) && file.size >= 0
          ? [{ relation: 'size-in-bytes', type: 'size-in-bytes', category: 'Other', value: String(file.size), toIds: false }]
          : []),
      ],
    });
  }

  for (const request of event.requests ?? []) {
    if (request.path !== undefined) list.attribute('uri', 'Network activity', request.path, false, 'Requested path');
  }
  for (const agent of event.userAgents ?? []) list.attribute('user-agent', 'Network activity', agent, false);
  if (event.clientVersion !== undefined) list.attribute('text', 'Network activity', event.clientVersion, false, 'SSH client version');
  if (event.hassh !== undefined) {
    const hassh = hash(event.hassh, 32);
    if (hassh === undefined) list.invalid();
    else list.attribute('hassh-md5', 'Network activity', hassh, false, 'HASSH client fingerprint');
  }
  for (const cve of event.cves ?? []) {
    if (CVE.test(cve)) list.attribute('vulnerability', 'External analysis', cve, false);
    else list.invalid();
  }
  for (const alert of event.alerts ?? []) {
    const label = [
      'IDS alert signature',
      alert.signatureId !== undefined ? `sid ${alert.signatureId}` : undefined,
      alert.severity !== undefined ? `severity ${alert.severity}` : undefined,
    ].filter(Boolean).join(', ');
    list.attribute('text', 'Network activity', alert.signature, false, label);
  }
  for (const raw of event.callbacks ?? []) {
    const parsed = parseUrl(raw, CALLBACK_SCHEMES);
    if (parsed === undefined) {
      list.invalid();
      continue;
    }
    const url = list.attribute('url', 'Network activity', parsed.url, true, 'Exploit callback (JNDI)');
    if (url !== undefined && parsed.ipHost !== undefined) {
      const host = policy.classify(parsed.ipHost);
      if ('ip' in host) list.attribute('ip-dst', 'Network activity', host.ip, true, 'Exploit callback host');
    }
  }
  for (const email of event.senderEmails ?? []) {
    if (EMAIL.test(email)) list.attribute('email-src', 'Payload delivery', email, true, 'SMTP sender');
    else list.invalid();
  }
  // MISP's port type is 1-65535: a port 0 attribute would be dropped from the object without a word.
  if (IP_PORT_OBJECTS.has(event.honeypot) && event.destPort !== undefined && event.destPort >= 1 && event.destPort <= 65535) {
    list.indicators.push({
      kind: 'object',
      template: 'ip-port',
      key: JSON.stringify([srcIp, event.destPort, event.transport ?? '', protocol ?? '']),
      unit: 'connections',
      attributes: [
        { relation: 'ip-src', type: 'ip-src', category: 'Network activity', value: srcIp, toIds: true },
        { relation: 'dst-port', type: 'port', category: 'Network activity', value: String(event.destPort), toIds: false },
        ...(protocol !== undefined ? [{ relation: 'protocol', type: 'text', category: 'Network activity', value: protocol, toIds: false }] : []),
      ],
    });
  }

  return {
    srcIp,
    ...(port !== undefined && { port }),
    ...(protocol !== undefined && { protocol }),
    ...(session !== undefined && { session }),
    indicators: list.indicators,
    dropped: list.dropped,
  };
}
