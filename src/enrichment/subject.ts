// Which indicators are worth a provider's request, and what to look up for each.
import { isIPv4 } from 'node:net';
import { isPrivateAddress } from '../attacker-ip-policy.js';
import type { Indicator } from '../indicators.js';
import type { IndicatorKind, ProviderName } from './provider.js';

/** What one provider request is about: an IP, a file hash or a URL. */
export interface EnrichmentSubject {
  readonly kind: IndicatorKind;
  readonly value: string;
}

/**
 * The subject of an indicator, or undefined when none is looked up: attacker IPs (`ip-src`), download URLs,
 * and downloaded files by SHA-256 (MD5 when that is all the honeypot gave).
 */
export function subjectOf(indicator: Indicator): EnrichmentSubject | undefined {
  if (indicator.kind === 'attribute') {
    // Private addresses reach MISP only with ALLOW_PRIVATE_IPS; no provider knows them, so no quota is spent on them.
    if (indicator.type === 'ip-src') return isPrivateAddress(indicator.value) ? undefined : { kind: 'ip', value: indicator.value };
    if (indicator.type === 'url') return { kind: 'url', value: indicator.value };
    return undefined;
  }
  if (indicator.template !== 'file') return undefined;
  const sha256 = indicator.attributes.find((a) => a.relation === 'sha256');
  if (sha256 !== undefined) return { kind: 'sha256', value: sha256.value };
  const md5 = indicator.attributes.find((a) => a.relation === 'md5');
  return md5 === undefined ? undefined : { kind: 'md5', value: md5.value };
}

/** Whether `provider` can answer for `subject` (GreyNoise knows IPv4 only; AbuseIPDB and GreyNoise only IPs). */
export function providerCovers(provider: ProviderName, subject: EnrichmentSubject): boolean {
  switch (provider) {
    case 'virustotal':
      return true;
    case 'abuseipdb':
      return subject.kind === 'ip';
    case 'greynoise':
      return subject.kind === 'ip' && isIPv4(subject.value);
  }
}

/** A stable key of a subject, or of a queue row naming one (maps, logs). */
export function subjectKey(subject: { readonly kind: string; readonly value: string }): string {
  return `${subject.kind}|${subject.value}`;
}
