// Decides whether a source address is an attacker worth reporting: valid, globally routable, not ours.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { SkipReason } from './attack-event.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

export interface AttackerIpPolicyOptions {
  /** The sensor's own addresses (SENSOR_IPS, elk_environment): never attackers. */
  readonly sensorIps?: readonly string[];
  /** EXCLUDE_IPS: addresses or CIDR ranges never reported. */
  readonly excludeIps?: readonly string[];
  /** ALLOW_PRIVATE_IPS: keep private, CGNAT and loopback sources (deception inside a company network). */
  readonly allowPrivate?: boolean;
}

export type IpVerdict = { readonly ip: string } | { readonly skip: SkipReason };

// Documentation ranges are reserved, yet accepted: real traffic never comes from them, and examples and
// tests use them as attacker addresses.
const DOCUMENTATION: readonly Cidr[] = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'].map(
  (c) => ipaddr.parseCIDR(c),
);
// Ranges that route on the public internet besides plain unicast (IPv6 transition mechanisms).
const ROUTABLE = new Set(['unicast', 'teredo', '6to4', 'rfc6052']);
const PRIVATE = new Set(['private', 'carrierGradeNat', 'loopback', 'uniqueLocal']);

function inAny(address: Address, ranges: readonly Cidr[]): boolean {
  return ranges.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits));
}

function parseStrict(text: string): Address | undefined {
  // node:net is strict about the textual form (no "127.1", no octal); zone ids are never attacker addresses.
  if (text.includes('%') || isIP(text) === 0) return undefined;
  const address = ipaddr.parse(text);
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

/**
 * Whether `text` is an address of the ranges only ALLOW_PRIVATE_IPS lets through (RFC 1918, ULA, loopback, CGNAT):
 * nobody outside knows anything about them.
 */
export function isPrivateAddress(text: string): boolean {
  const address = parseStrict(text);
  return address !== undefined && PRIVATE.has(address.range());
}

export class AttackerIpPolicy {
  readonly #sensor: Set<string>;
  readonly #sensorTexts = new Set<string>();
  readonly #exclude: readonly Cidr[];
  readonly #allowPrivate: boolean;
  // The same attacker appears in thousands of documents; classify each distinct string once per run. Documents of
  // one attacker come together (a session), so a day's worth of recent attackers is enough: a larger cache only held
  // memory on runs with more attackers than it had room for.
  readonly #cache = new Map<string, IpVerdict>();
  static readonly #CACHE_LIMIT = 10_000;

  constructor(options: AttackerIpPolicyOptions = {}) {
    this.#sensor = new Set();
    for (const ip of options.sensorIps ?? []) this.addSensorIp(ip);
    this.#exclude = (options.excludeIps ?? []).map((entry) =>
      entry.includes('/') ? ipaddr.parseCIDR(entry) : ([parseStrict(entry) ?? ipaddr.parse(entry), entry.includes(':') ? 128 : 32] as Cidr),
    );
    this.#allowPrivate = options.allowPrivate ?? false;
  }

  /** Adds a sensor address learnt from the data (t-pot_ip_ext/t-pot_ip_int). */
  addSensorIp(text: string): void {
    // Every document repeats its sensor's addresses: parse each distinct spelling once.
    if (this.#sensorTexts.has(text)) return;
    if (this.#sensorTexts.size < 1_000) this.#sensorTexts.add(text);
    const address = parseStrict(text.trim());
    if (address === undefined) return;
    const canonical = address.toString();
    if (!this.#sensor.has(canonical)) {
      this.#sensor.add(canonical);
      this.#cache.clear();
    }
  }

  /** The canonical attacker address, or why this source is not one. */
  classify(raw: string): IpVerdict {
    const cached = this.#cache.get(raw);
    if (cached !== undefined) return cached;
    const verdict = this.#classify(raw);
    if (this.#cache.size >= AttackerIpPolicy.#CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(raw, verdict);
    return verdict;
  }

  #classify(raw: string): IpVerdict {
    const address = parseStrict(raw.trim());
    if (address === undefined) return { skip: 'invalid_src_ip' };
    const ip = address.toString();
    if (this.#sensor.has(ip)) return { skip: 'sensor_src_ip' };
    if (inAny(address, this.#exclude)) return { skip: 'excluded_src_ip' };
    if (inAny(address, DOCUMENTATION)) return { ip };
    const range = address.range();
    if (ROUTABLE.has(range)) return { ip };
    if (PRIVATE.has(range)) return this.#allowPrivate ? { ip } : { skip: 'private_src_ip' };
    return { skip: 'reserved_src_ip' };
  }
}
