// The validation report: what was read, skipped and sent to MISP, per honeypot and day (report.txt/json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DailyBucket } from './aggregate.js';
import type { Origin, SkipReason } from './attack-event.js';
import type { Config } from './config.js';
import type { ProviderRunStats } from './enrichment/enricher.js';
import { EMPTY_PASSWORD, type DropReason } from './indicators.js';
import type { EventChanges } from './misp/build.js';
import type { EventDelivery, RejectedItem } from './misp/sink.js';
import { displayUrl, displayUrlsIn } from './observability/display-url.js';
import { failureCoverage, renderHtmlReport, showHidden } from './report-html.js';
import { SpaceSaving, type TopAccuracy, type TopEntry } from './top-values.js';

export type { TopAccuracy, TopEntry } from './top-values.js';

export interface BucketReport {
  honeypot: string;
  day: string;
  eventUuid?: string;
  documents: number;
  /**
   * Indicators seen, by MISP attribute type (objects as `object:<template>`): unique within each part (`parts`), so
   * with one part these are exact unique counts, and with several a value seen in k parts counts k times (an upper
   * bound of the unique values). Exact counts over all parts would need every value of the day in memory.
   */
  indicators: Record<string, number>;
  /**
   * In how many parts this bucket's data was read and delivered: a run delivers and checkpoints every
   * MAX_PENDING_INDICATORS unique indicators, realtime every REALTIME_FLUSH_SECONDS.
   */
  parts: number;
  eventCreated: boolean;
  attributesAdded: number;
  attributesUpdated: number;
  objectsAdded: number;
  objectsUpdated: number;
  alreadyPresent: number;
  rejected: RejectedItem[];
  /**
   * MISP no longer holds the event and refuses it: an analyst deleted it (MISP blocklists a deleted event's UUID).
   * This bucket's attacks were not sent, and later ones will not be either.
   */
  eventDeleted: boolean;
}

/**
 * How the run a report covers ended: `completed` (the source was read to its end), `stopped` (SIGTERM/SIGINT ended
 * reading early) or `failed`. Stopped and failed reports cover only what was delivered before; the next run reads the rest.
 */
export type RunOutcome = 'completed' | 'failed' | 'stopped';

/** Why a run failed, as report.json keeps it: URL passwords and secrets masked, bounded. */
export interface RunFailure {
  /** The error code (`T2M_…`), or `unexpected` for an error without one. */
  code: string;
  message: string;
  /** The likely fix, when the error names one. */
  hint?: string;
}

/** How a run ended, as run-once.ts tells the report just before writing it. */
export type RunEnd = { readonly outcome: 'completed' | 'stopped' } | { readonly outcome: 'failed'; readonly failure: RunFailure };

export interface RunReportJson {
  tool: 'tpot2misp';
  mode: string;
  output: string;
  source: string;
  sink: string;
  startedAt: string;
  finishedAt: string;
  /** How the run ended: a `failed` or `stopped` report covers only what was delivered before. */
  outcome: RunOutcome;
  /** Why it failed (only with outcome `failed`). */
  failure?: RunFailure;
  totals: {
    records: number;
    attacks: number;
    skipped: number;
    events: number;
    eventsCreated: number;
    attributesAdded: number;
    attributesUpdated: number;
    objectsAdded: number;
    objectsUpdated: number;
    rejected: number;
    /** Events MISP no longer holds (deleted by an analyst): their attacks in this run were not sent. */
    eventsDeleted: number;
    valuesDropped: number;
  };
  buckets: BucketReport[];
  /** Skipped documents: honeypot type (or "unknown") → reason → count. */
  skipped: Record<string, Partial<Record<SkipReason, number>>>;
  /** Indicator values left out of otherwise good documents. */
  valuesDropped: Partial<Record<DropReason, number>>;
  /** The most active attacker IPs, credentials and commands of this run, with their hit counts (see topAccuracy). */
  top: { ips: TopEntry[]; credentials: TopEntry[]; commands: TopEntry[]; countries: TopEntry[]; asns: TopEntry[] };
  /** Whether the IP, credential and command figures are exact, or bounded estimates (see TopAccuracy). */
  topAccuracy: { ips: TopAccuracy; credentials: TopAccuracy; commands: TopAccuracy };
  /** Attacks whose document carried T-Pot's GeoIP fields (only Elasticsearch documents do). */
  attacksWithOrigin: number;
  /** Enrichment in this run, per provider (absent when enrichment is off). */
  enrichment?: Record<string, ProviderRunStats>;
  /** MISP_URL, for links to the events (absent for a feed). */
  mispUrl?: string;
}

const TOP_N = 15;
/**
 * Distinct values each top list tracks (IPs, credentials, commands). While a run sees no more than this many, its
 * figures are exact; beyond it, Space-Saving keeps them within hits ÷ TOP_COUNTERS of the truth (0.1 % of all hits).
 */
export const TOP_COUNTERS = 1000;


type TopKind = 'ips' | 'credentials' | 'commands';
const TOP_KINDS: readonly TopKind[] = ['ips', 'credentials', 'commands'];

const MAX_REJECTED_LISTED = 100;
/** An error message is kept whole up to this length: enough for any of ours, bounded for a foreign one. */
const MAX_FAILURE_TEXT = 2000;

/** Error text fit for a kept, shared report: URL passwords masked (secrets are masked by the caller, who knows them), bounded. */
function reportable(text: string): string {
  const masked = displayUrlsIn(text);
  return masked.length > MAX_FAILURE_TEXT ? `${masked.slice(0, MAX_FAILURE_TEXT)}…` : masked;
}
// Country codes are a small set; ASNs are not: beyond this many distinct ones, new ASNs are not counted.
const MAX_ASNS_COUNTED = 50_000;

/** Counts per key in a plain map, for small key sets (countries, ASNs). */
function topOf<K>(counts: ReadonlyMap<K, number>, label: (key: K) => string): TopEntry[] {
  return [...counts]
    .map(([key, count]) => ({ value: label(key), count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1))
    .slice(0, TOP_N);
}

/** Makes attacker-influenced text safe for a plain-text report line: control, bidi and invisible characters shown, bounded. */
export function printable(text: string, max = 200): string {
  const clean = showHidden(text);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * What a bucket's indicator counts are: exact unique values when its data came in one part; with several, each part's
 * unique values added up, so a value seen in k parts counts k times.
 */
export function indicatorsLabel(parts: number): string {
  return parts <= 1 ? 'indicators (unique values)' : `indicators (unique values per part, added over ${parts} parts: a value seen in several parts counts once in each)`;
}

/** "18" for an exact count, "9–18" (at least 9, at most 18) for an estimate. */
export function hitsText(entry: TopEntry): string {
  return entry.error === undefined ? String(entry.count) : `${entry.count - entry.error}–${entry.count}`;
}

/** What a top list's figures mean, for a report reader: exact, or how far off they may be. */
export function accuracyText(accuracy: TopAccuracy, what: string): string {
  if (accuracy.exact) return 'exact';
  return `approximate: more than ${accuracy.counters.toLocaleString('en')} distinct ${what}, so each figure is a range "at least–at most" (off by at most ${accuracy.maxError.toLocaleString('en')} hits)`;
}

/** The report's outcome line: a failed or stopped run says so, and that its figures are partial. */
export function outcomeText(json: Pick<RunReportJson, 'outcome' | 'failure' | 'mode'>): string {
  if (json.outcome === 'stopped') return 'STOPPED by a signal before the end of the source: this report covers only part of the new data; the next run reads the rest';
  if (json.outcome === 'failed') {
    const failure = json.failure;
    const why = failure === undefined ? '' : ` (${printable(failure.code, 60)}): ${printable(failure.message, MAX_FAILURE_TEXT)}${failure.hint === undefined ? '' : ` — hint: ${printable(failure.hint, MAX_FAILURE_TEXT)}`}`;
    return `FAILED${why}. ${failureCoverage(json.mode)}`;
  }
  return 'completed';
}

function bucketEventText(b: BucketReport): string {
  if (b.eventDeleted) return 'DELETED in MISP, attacks not sent:';
  return b.eventCreated ? 'created' : b.eventUuid ? 'updated' : '-';
}

type DeliveryCounts = Pick<BucketReport, 'eventCreated' | 'attributesAdded' | 'attributesUpdated' | 'objectsAdded' | 'objectsUpdated' | 'alreadyPresent'> & {
  readonly rejected: readonly RejectedItem[];
  readonly eventDeleted?: boolean;
};

/** Adds what the sink did (one delivery, or a committed flush's bucket) to a bucket's counts. */
function addDelivery(into: BucketReport, from: DeliveryCounts): void {
  into.eventCreated ||= from.eventCreated;
  into.attributesAdded += from.attributesAdded;
  into.attributesUpdated += from.attributesUpdated;
  into.objectsAdded += from.objectsAdded;
  into.objectsUpdated += from.objectsUpdated;
  into.alreadyPresent += from.alreadyPresent;
  into.eventDeleted ||= from.eventDeleted === true;
  for (const item of from.rejected) if (into.rejected.length < MAX_REJECTED_LISTED) into.rejected.push(item);
}

export class RunReport {
  readonly #startedAt = new Date();
  readonly #mode: string;
  readonly #output: string;
  readonly #source: string;
  readonly #sink: string;
  readonly #buckets = new Map<string, BucketReport>();
  readonly #skipped = new Map<string, Map<SkipReason, number>>();
  readonly #dropped = new Map<DropReason, number>();
  /** The run's top lists, fed with the exact per-part counts once each part is committed. */
  readonly #top: Record<TopKind, SpaceSaving> = { ips: new SpaceSaving(TOP_COUNTERS), credentials: new SpaceSaving(TOP_COUNTERS), commands: new SpaceSaving(TOP_COUNTERS) };
  /**
   * This part's exact counts per value, until it is committed (absorb) or reported: as bounded as the part itself,
   * whose indicators are all in memory anyway (MAX_PENDING_INDICATORS).
   */
  readonly #pending: Record<TopKind, Map<string, number>> = { ips: new Map(), credentials: new Map(), commands: new Map() };
  readonly #countries = new Map<string, number>();
  readonly #asns = new Map<number, number>();
  readonly #asOrgs = new Map<number, string>();
  #attacksWithOrigin = 0;
  #enrichment: Record<string, ProviderRunStats> | undefined;
  readonly #mispUrl: string | undefined;
  #end: RunEnd = { outcome: 'completed' };
  records = 0;
  attacks = 0;

  constructor(meta: { mode: string; output: string; source: string; sink: string; mispUrl?: string }) {
    // Reports are shared and kept: a password written into MISP_URL must not be in them.
    this.#mispUrl = meta.mispUrl === undefined ? undefined : displayUrl(meta.mispUrl);
    this.#mode = meta.mode;
    this.#output = meta.output;
    this.#source = meta.source;
    this.#sink = meta.sink;
  }

  /** The report of one run (or, in realtime, one UTC day) under these settings; MISP links only with OUTPUT=misp. */
  static forRun(config: Pick<Config, 'mode' | 'output' | 'misp'>, source: string, sink: string): RunReport {
    return new RunReport({ mode: config.mode, output: config.output, source, sink, ...(config.output === 'misp' && config.misp.url !== undefined && { mispUrl: config.misp.url }) });
  }

  /**
   * An empty report with the same settings. The pipeline counts a flush's work into one and `absorb`s it once that
   * flush is committed: documents read again after a failed flush (realtime retries from the outbox) count once.
   */
  scratch(): RunReport {
    return new RunReport({ mode: this.#mode, output: this.#output, source: this.#source, sink: this.#sink, ...(this.#mispUrl !== undefined && { mispUrl: this.#mispUrl }) });
  }

  /** Adds a committed flush's counts, gathered in a `scratch()` report, to this one. */
  absorb(flush: RunReport): void {
    for (const from of flush.#buckets.values()) {
      const into = this.#bucket(from.honeypot, from.day);
      if (from.eventUuid !== undefined) into.eventUuid = from.eventUuid;
      into.documents += from.documents;
      into.parts += from.parts;
      for (const [type, count] of Object.entries(from.indicators)) into.indicators[type] = (into.indicators[type] ?? 0) + count;
      addDelivery(into, from);
    }
    for (const [honeypot, reasons] of flush.#skipped) for (const [reason, count] of reasons) this.#countSkips(honeypot, reason, count);
    for (const [reason, count] of flush.#dropped) this.#dropped.set(reason, (this.#dropped.get(reason) ?? 0) + count);
    // The part's exact counts go straight into the run's lists; a part's own list is empty unless it was reported.
    this.#takeCounts(flush);
    for (const kind of TOP_KINDS) this.#top[kind].merge(flush.#top[kind]);
    for (const [country, count] of flush.#countries) this.#countries.set(country, (this.#countries.get(country) ?? 0) + count);
    for (const [asn, count] of flush.#asns) this.#countAsn(asn, count, flush.#asOrgs.get(asn));
    this.#attacksWithOrigin += flush.#attacksWithOrigin;
    if (flush.#enrichment !== undefined) this.#enrichment = flush.#enrichment;
    this.records += flush.records;
    this.attacks += flush.attacks;
  }

  #bucket(honeypot: string, day: string): BucketReport {
    const key = `${honeypot}|${day}`;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = {
        honeypot,
        day,
        documents: 0,
        indicators: {},
        parts: 0,
        eventCreated: false,
        attributesAdded: 0,
        attributesUpdated: 0,
        objectsAdded: 0,
        objectsUpdated: 0,
        alreadyPresent: 0,
        rejected: [],
        eventDeleted: false,
      };
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  skip(honeypot: string | undefined, reason: SkipReason): void {
    this.#countSkips(honeypot ?? 'unknown', reason, 1);
  }

  #countSkips(honeypot: string, reason: SkipReason, count: number): void {
    let reasons = this.#skipped.get(honeypot);
    if (reasons === undefined) {
      reasons = new Map();
      this.#skipped.set(honeypot, reasons);
    }
    reasons.set(reason, (reasons.get(reason) ?? 0) + count);
  }

  /** Counts one attack towards the country/ASN charts. */
  origin(origin: Origin | undefined): void {
    if (origin === undefined) return;
    this.#attacksWithOrigin++;
    if (origin.country !== undefined) this.#countries.set(origin.country, (this.#countries.get(origin.country) ?? 0) + 1);
    if (origin.asn !== undefined) this.#countAsn(origin.asn, 1, origin.asOrg);
  }

  #countAsn(asn: number, count: number, asOrg: string | undefined): void {
    if (!this.#asns.has(asn) && this.#asns.size >= MAX_ASNS_COUNTED) return;
    this.#asns.set(asn, (this.#asns.get(asn) ?? 0) + count);
    if (asOrg !== undefined && !this.#asOrgs.has(asn)) this.#asOrgs.set(asn, asOrg);
  }

  /** The run's enrichment figures per provider (replaces earlier ones: the enricher keeps the running totals). */
  enrichment(stats: Readonly<Record<string, ProviderRunStats>>): void {
    this.#enrichment = Object.fromEntries(Object.entries(stats).map(([name, s]) => [name, { ...s }]));
  }

  drop(reasons: readonly DropReason[]): void {
    for (const reason of reasons) this.#dropped.set(reason, (this.#dropped.get(reason) ?? 0) + 1);
  }

  /** Records what a flush saw (documents, unique indicators) before it is sent. */
  aggregated(bucket: DailyBucket): void {
    const report = this.#bucket(bucket.honeypot, bucket.day);
    report.documents += bucket.events;
    // Every value's full count is kept for this part (its indicators are in memory anyway); the run's top lists
    // take them when the part is committed. Nothing is cut here: a value's hits in every part add up.
    const count = (kind: TopKind, value: string, hits: number) => this.#pending[kind].set(value, (this.#pending[kind].get(value) ?? 0) + hits);
    let counted = false;
    for (const { indicator, tally } of bucket.values()) {
      // A zero count is a re-delivery with new enrichment, not an indicator of this run.
      if (tally.count === 0) continue;
      counted = true;
      const type = indicator.kind === 'attribute' ? indicator.type : `object:${indicator.template}`;
      report.indicators[type] = (report.indicators[type] ?? 0) + 1;
      if (indicator.kind === 'attribute') {
        if (indicator.type === 'ip-src') count('ips', indicator.value, tally.count);
        continue;
      }
      const value = (relation: string) => indicator.attributes.find((a) => a.relation === relation)?.value;
      const password = value('password') ?? (indicator.note === EMPTY_PASSWORD ? '(empty)' : undefined);
      const username = value('username');
      if (username !== undefined || password !== undefined) count('credentials', `${username ?? ''} / ${password ?? ''}`, tally.count);
      const command = value('input') ?? value('command_line');
      if (command !== undefined) count('commands', command, tally.count);
    }
    if (counted) report.parts++;
  }

  /** Moves `part`'s exact per-value counts (this report's own, or a committed scratch's) into this report's top lists. */
  #takeCounts(part: RunReport): void {
    for (const kind of TOP_KINDS) {
      for (const [value, hits] of part.#pending[kind]) this.#top[kind].add(value, hits);
      part.#pending[kind].clear();
    }
  }

  delivered(changes: EventChanges, delivery: EventDelivery): void {
    const report = this.#bucket(changes.honeypot, changes.day);
    report.eventUuid = changes.event.uuid;
    addDelivery(report, delivery);
  }

  /** The bucket's event is known to be deleted in MISP: its attacks were not sent. */
  eventDeleted(honeypot: string, day: string, uuid: string): void {
    const report = this.#bucket(honeypot, day);
    report.eventUuid = uuid;
    report.eventDeleted = true;
  }

  /** Records how the run ended (the default is `completed`), for the report written next. */
  ended(end: RunEnd): void {
    if (end.outcome !== 'failed') {
      this.#end = end;
      return;
    }
    const { code, message, hint } = end.failure;
    this.#end = { outcome: 'failed', failure: { code: reportable(code), message: reportable(message), ...(hint !== undefined && { hint: reportable(hint) }) } };
  }

  toJson(): RunReportJson {
    this.#takeCounts(this);
    const buckets = [...this.#buckets.values()].sort((a, b) =>
      a.day === b.day ? (a.honeypot < b.honeypot ? -1 : 1) : a.day < b.day ? -1 : 1,
    );
    const skipped = Object.fromEntries(
      [...this.#skipped.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([honeypot, reasons]) => [honeypot, Object.fromEntries([...reasons.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))]),
    );
    const sum = (pick: (b: BucketReport) => number) => buckets.reduce((total, b) => total + pick(b), 0);
    const skippedTotal = [...this.#skipped.values()].reduce((t, m) => t + [...m.values()].reduce((a, b) => a + b, 0), 0);
    return {
      tool: 'tpot2misp',
      mode: this.#mode,
      output: this.#output,
      source: this.#source,
      sink: this.#sink,
      startedAt: this.#startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      outcome: this.#end.outcome,
      ...(this.#end.outcome === 'failed' && { failure: { ...this.#end.failure } }),
      totals: {
        records: this.records,
        attacks: this.attacks,
        skipped: skippedTotal,
        events: buckets.filter((b) => b.eventUuid !== undefined && !b.eventDeleted).length,
        eventsCreated: buckets.filter((b) => b.eventCreated).length,
        attributesAdded: sum((b) => b.attributesAdded),
        attributesUpdated: sum((b) => b.attributesUpdated),
        objectsAdded: sum((b) => b.objectsAdded),
        objectsUpdated: sum((b) => b.objectsUpdated),
        rejected: sum((b) => b.rejected.length),
        eventsDeleted: buckets.filter((b) => b.eventDeleted).length,
        valuesDropped: [...this.#dropped.values()].reduce((a, b) => a + b, 0),
      },
      buckets,
      skipped,
      valuesDropped: Object.fromEntries([...this.#dropped.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
      top: {
        ips: this.#top.ips.top(TOP_N),
        credentials: this.#top.credentials.top(TOP_N),
        commands: this.#top.commands.top(TOP_N),
        countries: topOf(this.#countries, (code) => code),
        asns: topOf(this.#asns, (asn) => `AS${asn}${this.#asOrgs.has(asn) ? ` ${this.#asOrgs.get(asn)}` : ''}`),
      },
      topAccuracy: { ips: this.#top.ips.accuracy(TOP_N), credentials: this.#top.credentials.accuracy(TOP_N), commands: this.#top.commands.accuracy(TOP_N) },
      attacksWithOrigin: this.#attacksWithOrigin,
      ...(this.#enrichment !== undefined && { enrichment: this.#enrichment }),
      ...(this.#mispUrl !== undefined && { mispUrl: this.#mispUrl }),
    };
  }

  toText(json: RunReportJson = this.toJson()): string {
    const t = json.totals;
    const lines = [
      `tpot2misp validation report — ${json.mode} mode → ${json.output}`,
      `source: ${printable(json.source)}`,
      `sink:   ${printable(json.sink)}`,
      `run:    ${json.startedAt} → ${json.finishedAt}`,
      `outcome: ${outcomeText(json)}`,
      '',
      `records read: ${t.records}   attacks: ${t.attacks}   skipped: ${t.skipped}   values dropped: ${t.valuesDropped}`,
      `MISP events touched: ${t.events} (created ${t.eventsCreated})   attributes +${t.attributesAdded} ~${t.attributesUpdated}   objects +${t.objectsAdded} ~${t.objectsUpdated}   rejected: ${t.rejected}`,
      ...(t.eventsDeleted > 0 ? [`events deleted in MISP: ${t.eventsDeleted} (their new attacks were not sent; see below)`] : []),
      '',
      'Per honeypot and day',
      '--------------------',
    ];
    if (json.buckets.length === 0) lines.push('(no new attacks)');
    for (const b of json.buckets) {
      const indicators = Object.entries(b.indicators)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([type, n]) => `${type}=${n}`)
        .join(' ');
      lines.push(
        `${b.day}  ${b.honeypot.padEnd(15)} documents ${String(b.documents).padStart(7)}  event ${bucketEventText(b)}${b.eventUuid ? ` ${b.eventUuid}` : ''}`,
        `    ${indicatorsLabel(b.parts)}: ${indicators || '-'}`,
        `    attributes +${b.attributesAdded} ~${b.attributesUpdated}   objects +${b.objectsAdded} ~${b.objectsUpdated}   already in MISP ${b.alreadyPresent}   rejected ${b.rejected.length}`,
      );
      for (const r of b.rejected.slice(0, 10)) lines.push(`      rejected ${r.uuid}: ${printable(r.reason)}`);
    }
    lines.push('', 'Skipped documents', '-----------------');
    const skippedEntries = Object.entries(json.skipped);
    if (skippedEntries.length === 0) lines.push('(none)');
    for (const [honeypot, reasons] of skippedEntries) {
      lines.push(`${honeypot.padEnd(15)} ${Object.entries(reasons).map(([r, n]) => `${r}=${n}`).join(' ')}`);
    }
    lines.push('', 'Top attackers', '-------------');
    const row = (title: string, entries: readonly TopEntry[]) => {
      if (entries.length > 0) lines.push(`${title}: ${entries.slice(0, 10).map((e) => `${printable(e.value, 60)} (${hitsText(e)})`).join(', ')}`);
    };
    row(`IPs (hits, ${accuracyText(json.topAccuracy.ips, 'IPs')})`, json.top.ips);
    row(`credentials (username / password: hits, ${accuracyText(json.topAccuracy.credentials, 'credentials')})`, json.top.credentials);
    row(`commands (hits, ${accuracyText(json.topAccuracy.commands, 'commands')})`, json.top.commands);
    if (json.attacksWithOrigin === 0) lines.push('countries/ASNs: no GeoIP data (only T-Pot\'s Elasticsearch documents carry it)');
    row('countries', json.top.countries);
    row('ASNs', json.top.asns);
    if (json.enrichment !== undefined) {
      lines.push('', 'Enrichment', '----------');
      for (const [provider, e] of Object.entries(json.enrichment)) {
        lines.push(`${provider.padEnd(11)} requests ${e.requests}   found ${e.found}   not found ${e.notFound}   from cache ${e.cacheHits}   errors ${e.errors}   still queued ${e.queued}`);
        if (e.disabled !== undefined) lines.push(`            disabled: ${printable(e.disabled)}`);
      }
    }
    if (Object.keys(json.valuesDropped).length > 0) {
      lines.push('', `Values dropped: ${Object.entries(json.valuesDropped).map(([r, n]) => `${r}=${n}`).join(' ')}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** Writes report.txt / report.json / report.html into `dir`; returns the paths written. */
  write(dir: string, formats: readonly string[]): string[] {
    mkdirSync(dir, { recursive: true });
    const json = this.toJson();
    const written: string[] = [];
    if (formats.includes('json')) {
      const path = join(dir, 'report.json');
      writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
      written.push(path);
    }
    if (formats.includes('txt')) {
      const path = join(dir, 'report.txt');
      writeFileSync(path, this.toText(json));
      written.push(path);
    }
    if (formats.includes('html')) {
      const path = join(dir, 'report.html');
      writeFileSync(path, renderHtmlReport(json));
      written.push(path);
    }
    return written;
  }
}
