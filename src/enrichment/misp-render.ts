// Pure: providers' answers about one indicator → MISP objects from the official templates (referencing the
// indicator) and tags on the indicator an analyst can filter on.
import type { MispAttribute, MispObject, MispTag } from '../misp/model.js';
import { OBJECT_TEMPLATES, type ObjectTemplateName } from '../misp/object-templates.js';
import { nameUuid } from '../misp/uuid.js';
import {
  HIGH_RISK_ABUSE_SCORE,
  type AbuseIpdbSummary,
  type EnrichmentAnswer,
  type GreyNoiseSummary,
  type ProviderName,
  type VirusTotalSummary,
} from './provider.js';
import { isPlausibleTime, unixSeconds } from '../time.js';
import type { EnrichmentSubject } from './subject.js';

/** The latest answer of a provider (possibly past its TTL: it stays the best knowledge until re-checked). */
export interface KnownAnswer {
  readonly answer: EnrichmentAnswer;
  /** When it was fetched (ms since the epoch). */
  readonly fetchedAt: number;
  /** Still within its TTL (only a fresh verdict may drop an indicator). */
  readonly fresh?: boolean;
}

export type ProviderAnswers = Partial<Record<ProviderName, KnownAnswer>>;

/** Objects point at the indicator they describe with this relationship (misp-objects relationships list). */
export const ENRICHMENT_RELATIONSHIP = 'characterizes';

/** Answers from providers are outside data too: bounded before they reach MISP. */
const MAX_TEXT = 1024;

function bounded(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  // Well-formed after the cut too (a cut can split a surrogate pair): PHP's json_decode rejects a lone
  // surrogate, and with it MISP's whole request.
  return (clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT)}…` : clean).toWellFormed();
}

/**
 * A value MISP takes as a `link`: it checks PHP's FILTER_VALIDATE_URL (a scheme, a host, printable ASCII), and an
 * event edit drops a link that fails without a word.
 */
function isLink(value: string): boolean {
  return /^https?:\/\/[^\s/?#]+/i.test(value) && /^[\x21-\x7e]+$/.test(value);
}

function found<S>(known: KnownAnswer | undefined): S | undefined {
  return known !== undefined && known.answer.status === 'found' ? (known.answer.data as S) : undefined;
}

/** AbuseIPDB's confidence as a band: high ≥ 75 (the high-risk threshold), medium ≥ 25, low ≥ 1, none. */
export function abuseConfidenceBand(score: number): 'high' | 'medium' | 'low' | 'none' {
  if (score >= HIGH_RISK_ABUSE_SCORE) return 'high';
  if (score >= 25) return 'medium';
  if (score >= 1) return 'low';
  return 'none';
}

/**
 * A benign scanner: GreyNoise classifies it benign or knows it as a business service (RIOT), or AbuseIPDB
 * whitelists it. ENRICHMENT_DROP_BENIGN leaves these out of MISP.
 */
export function isBenignScanner(answers: ProviderAnswers): boolean {
  const greynoise = found<GreyNoiseSummary>(answers.greynoise);
  const abuse = found<AbuseIpdbSummary>(answers.abuseipdb);
  return greynoise?.classification === 'benign' || greynoise?.riot === true || abuse?.isWhitelisted === true;
}

/** Only the answers still within their TTL. */
export function freshAnswers(answers: ProviderAnswers): ProviderAnswers {
  return Object.fromEntries(Object.entries(answers).filter(([, known]) => known.fresh === true));
}

/** Tags for the indicator, sorted (an unchanged answer renders the same attribute, so nothing is re-sent). */
export function enrichmentTags(answers: ProviderAnswers): MispTag[] {
  const names: string[] = [];
  const vt = found<VirusTotalSummary>(answers.virustotal);
  if (vt !== undefined) names.push(`virustotal:verdict="${vt.malicious > 0 ? 'malicious' : vt.suspicious > 0 ? 'suspicious' : 'undetected'}"`);
  const abuse = found<AbuseIpdbSummary>(answers.abuseipdb);
  if (abuse !== undefined) names.push(`abuseipdb:confidence="${abuseConfidenceBand(abuse.abuseConfidenceScore)}"`);
  const greynoise = found<GreyNoiseSummary>(answers.greynoise);
  if (greynoise !== undefined) {
    names.push(`greynoise:classification="${greynoise.classification}"`);
    if (greynoise.noise) names.push('greynoise:noise="true"');
    if (greynoise.riot) names.push('greynoise:riot="true"');
  }
  if (isBenignScanner(answers)) names.push('tpot:scanner="benign"');
  return names.sort().map((name) => ({ name }));
}

interface Relation {
  readonly relation: string;
  readonly type: string;
  readonly category: string;
  readonly value: string;
}

function renderObject(template: ObjectTemplateName, eventUuid: string, indicatorUuid: string, fetchedAt: number, comment: string, relations: readonly Relation[]): MispObject {
  const t = OBJECT_TEMPLATES[template];
  // One object per (event, indicator, template): a newer answer updates it in place.
  const uuid = nameUuid(`enrichment|${template}|${indicatorUuid}`, eventUuid);
  const timestamp = unixSeconds(fetchedAt);
  const attributes: MispAttribute[] = relations.map((r) => ({
    uuid: nameUuid(`${r.relation}|${r.type}`, uuid),
    type: r.type,
    category: r.category,
    value: r.value,
    // Enrichment facts describe an indicator; they are not indicators themselves (the IP itself already is).
    to_ids: false,
    comment: '',
    distribution: '5',
    disable_correlation: r.type !== 'ip-src',
    object_relation: r.relation,
    timestamp,
    deleted: false,
  }));
  return {
    uuid,
    name: t.name,
    'meta-category': t.metaCategory,
    description: t.description,
    template_uuid: t.uuid,
    template_version: t.version,
    comment: bounded(comment),
    distribution: '5',
    timestamp,
    deleted: false,
    Attribute: attributes,
    ObjectReference: [{ uuid: nameUuid('reference', uuid), object_uuid: uuid, referenced_uuid: indicatorUuid, relationship_type: ENRICHMENT_RELATIONSHIP }],
  };
}

/** `YYYY-MM-DD` as a MISP datetime, only when it is a real, plausible day ("2024-13-45" is not). */
function isoDay(day: string | null): string | undefined {
  if (day === null || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(ms) && isPlausibleTime(ms) && new Date(ms).toISOString().startsWith(day) ? `${day}T00:00:00Z` : undefined;
}

function virusTotalObject(eventUuid: string, indicatorUuid: string, known: KnownAnswer, vt: VirusTotalSummary): MispObject | undefined {
  const permalink = bounded(vt.permalink);
  // The template requires the permalink: without one there is no valid object to write.
  if (!isLink(permalink)) return undefined;
  const total = vt.malicious + vt.suspicious + vt.harmless + vt.undetected;
  const relations: Relation[] = [
    { relation: 'permalink', type: 'link', category: 'External analysis', value: permalink },
    { relation: 'detection-ratio', type: 'text', category: 'External analysis', value: `${vt.malicious}/${total}` },
  ];
  if (vt.reputation !== null) relations.push({ relation: 'community-score', type: 'text', category: 'External analysis', value: String(vt.reputation) });
  const analysedMs = vt.lastAnalysisDate === null ? Number.NaN : vt.lastAnalysisDate * 1000;
  // A provider's number is outside data: only a plausible time is shown (and a Date that cannot hold it would throw).
  const analysed = Number.isFinite(analysedMs) && isPlausibleTime(analysedMs) ? `, last analysed ${new Date(analysedMs).toISOString().slice(0, 10)}` : '';
  const comment = `VirusTotal: ${vt.malicious} malicious, ${vt.suspicious} suspicious, ${vt.harmless} harmless, ${vt.undetected} undetected${analysed}`;
  return renderObject('virustotal-report', eventUuid, indicatorUuid, known.fetchedAt, comment, relations);
}

function abuseIpdbObject(eventUuid: string, indicatorUuid: string, known: KnownAnswer, abuse: AbuseIpdbSummary): MispObject {
  const relations: Relation[] = [
    { relation: 'abuse-confidence-score', type: 'integer', category: 'Other', value: String(Math.min(100, Math.max(0, Math.round(abuse.abuseConfidenceScore)))) },
    { relation: 'is-malicious', type: 'boolean', category: 'Other', value: abuse.abuseConfidenceScore >= HIGH_RISK_ABUSE_SCORE ? '1' : '0' },
  ];
  if (abuse.isWhitelisted !== null) relations.push({ relation: 'is-whitelisted', type: 'boolean', category: 'Other', value: abuse.isWhitelisted ? '1' : '0' });
  const facts = [`AbuseIPDB: confidence ${abuse.abuseConfidenceScore} %`, `${abuse.totalReports} reports`];
  if (abuse.isp !== null) facts.push(`ISP ${abuse.isp}`);
  if (abuse.usageType !== null) facts.push(`usage ${abuse.usageType}`);
  if (abuse.countryCode !== null) facts.push(`country ${abuse.countryCode}`);
  if (abuse.lastReportedAt !== null) facts.push(`last reported ${abuse.lastReportedAt}`);
  return renderObject('abuseipdb', eventUuid, indicatorUuid, known.fetchedAt, facts.join(', '), relations);
}

function greyNoiseObject(eventUuid: string, indicatorUuid: string, subject: EnrichmentSubject, known: KnownAnswer, gn: GreyNoiseSummary): MispObject {
  const relations: Relation[] = [
    { relation: 'ip-src', type: 'ip-src', category: 'Network activity', value: subject.value },
    { relation: 'classification', type: 'text', category: 'Other', value: gn.classification },
    { relation: 'noise', type: 'text', category: 'Other', value: String(gn.noise) },
    { relation: 'riot', type: 'text', category: 'Other', value: String(gn.riot) },
  ];
  const actor = gn.name === null ? '' : bounded(gn.name);
  if (actor !== '') relations.push({ relation: 'actor', type: 'text', category: 'Other', value: actor });
  const link = gn.link === null ? '' : bounded(gn.link);
  if (isLink(link)) relations.push({ relation: 'link', type: 'link', category: 'External analysis', value: link });
  const lastSeen = isoDay(gn.lastSeen);
  if (lastSeen !== undefined) relations.push({ relation: 'last-seen', type: 'datetime', category: 'Other', value: lastSeen });
  const comment = `GreyNoise: ${gn.classification}${gn.noise ? ', mass-scanning the internet' : ''}${gn.riot ? ', a known business service (RIOT)' : ''}`;
  return renderObject('greynoise-ip', eventUuid, indicatorUuid, known.fetchedAt, comment, relations);
}

/**
 * One object per provider that found something about `subject`, each referencing the indicator `indicatorUuid`
 * of event `eventUuid`. "Not found" answers add nothing (they are cached, so they cost no requests either).
 */
export function enrichmentObjects(eventUuid: string, indicatorUuid: string, subject: EnrichmentSubject, answers: ProviderAnswers): MispObject[] {
  const objects: MispObject[] = [];
  const vt = found<VirusTotalSummary>(answers.virustotal);
  const vtObject = vt !== undefined && answers.virustotal !== undefined ? virusTotalObject(eventUuid, indicatorUuid, answers.virustotal, vt) : undefined;
  if (vtObject !== undefined) objects.push(vtObject);
  const abuse = found<AbuseIpdbSummary>(answers.abuseipdb);
  if (abuse !== undefined && answers.abuseipdb !== undefined) objects.push(abuseIpdbObject(eventUuid, indicatorUuid, answers.abuseipdb, abuse));
  const gn = found<GreyNoiseSummary>(answers.greynoise);
  if (gn !== undefined && answers.greynoise !== undefined && subject.kind === 'ip') objects.push(greyNoiseObject(eventUuid, indicatorUuid, subject, answers.greynoise, gn));
  return objects;
}
