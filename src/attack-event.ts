// The normalized shape every source and honeypot parser produces: one attack observation.
import type { HoneypotType } from './honeypots/honeypot-type.js';

/** Request headers some web honeypots take the logged source address from when the client sends one. */
export type ClientIpHeader = 'X-Forwarded-For' | 'X-Real-IP' | 'X-Forwarded-For or X-Real-IP';

/** A username/password pair an attacker tried. Either part may be missing. */
export interface CredentialAttempt {
  readonly username?: string;
  readonly password?: string;
  /** True when the honeypot reported the login as accepted. */
  readonly success?: boolean;
}

/** A file the attacker fetched or uploaded, as far as the honeypot knows it. */
export interface FileTransfer {
  readonly url?: string;
  readonly sha256?: string;
  readonly md5?: string;
  readonly filename?: string;
  readonly size?: number;
  /**
   * The bytes the client sent on the connection (Honeytrap's payload: an HTTP request, a TLS hello, a probe), not a
   * file it fetched or uploaded. Its hash groups the same probe across attackers and sensors, but it is no malware
   * sample: it is kept out of IDS export.
   */
  readonly sentOnConnection?: true;
}

/** An HTTP-ish request received by a web honeypot. */
export interface WebRequest {
  readonly method?: string;
  /** Path (and query) requested on the honeypot, never the honeypot's own host name. */
  readonly path?: string;
}

/** A network IDS alert (Suricata). */
export interface IdsAlert {
  readonly signatureId?: number;
  readonly signature: string;
  readonly severity?: number;
}

/** Where the attacker address is, as T-Pot's Logstash GeoIP lookup says (Elasticsearch documents only). */
export interface Origin {
  /** ISO 3166-1 alpha-2 country code. */
  readonly country?: string;
  readonly asn?: number;
  /** The AS organisation name (bounded, printable). */
  readonly asOrg?: string;
}

export interface AttackEvent {
  readonly honeypot: HoneypotType;
  /** Attack time, epoch milliseconds UTC. */
  readonly time: number;
  /** Source address exactly as the document gave it (validated later, in indicators). */
  readonly srcIp: string;
  /**
   * Set when `srcIp` is (or, where the log cannot tell, may be) an address the client wrote in a request header
   * rather than the TCP peer: names the header(s), for the MISP comment. Anyone can make such an address name a
   * bystander (8.8.8.8), so indicators keep it out of IDS export. Set by the normalizer, per event where the log
   * says whether the header was sent, per type or protocol where it does not.
   */
  readonly srcIpFromClientHeader?: ClientIpHeader;
  readonly srcPort?: number;
  readonly destPort?: number;
  /** Transport protocol: tcp or udp, when known. */
  readonly transport?: string;
  /** Application protocol or service name (ssh, telnet, smbd, http, sip, …). */
  readonly protocol?: string;
  readonly session?: string;
  /** The sensor's own addresses, as stamped on the document (never attacker addresses). */
  readonly sensorIps?: readonly string[];
  readonly credentials?: readonly CredentialAttempt[];
  readonly commands?: readonly string[];
  readonly files?: readonly FileTransfer[];
  readonly requests?: readonly WebRequest[];
  readonly userAgents?: readonly string[];
  /** SSH/Telnet client banner, e.g. "SSH-2.0-Go". */
  readonly clientVersion?: string;
  readonly hassh?: string;
  readonly cves?: readonly string[];
  readonly alerts?: readonly IdsAlert[];
  /**
   * Attacker-controlled URLs an exploit told the target to contact (a Log4Shell JNDI lookup's LDAP/RMI server):
   * the attacker's infrastructure, validated in indicators.
   */
  readonly callbacks?: readonly string[];
  /** E-mail addresses the attacker used as senders (SMTP MAIL FROM). */
  readonly senderEmails?: readonly string[];
  /** For the report's country/ASN charts; never sent to MISP (MISP enriches IPs itself). */
  readonly origin?: Origin;
}

/**
 * Why a document produced no event. A bounded set: these become metric labels and report rows.
 */
export const SKIP_REASONS = [
  'unknown_type',
  'excluded_type',
  'nsm_context',
  'not_an_attack',
  'malformed',
  'document_too_large',
  'no_timestamp',
  // Dated more than a day after the moment it is read: a sensor clock gone wrong, not an attack from days to come.
  'future_timestamp',
  'no_src_ip',
  'invalid_src_ip',
  'private_src_ip',
  'reserved_src_ip',
  'sensor_src_ip',
  'excluded_src_ip',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface Skip {
  readonly skip: SkipReason;
}

export type NormalizeResult = AttackEvent | Skip;

export function isSkip(result: NormalizeResult): result is Skip {
  return 'skip' in result;
}
