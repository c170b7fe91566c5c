// The validation report: what was read, skipped and sent to MISP, per honeypot and day (report.txt/json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DailyBucket } from './aggregate.js';
import type { Origin, SkipReason } from './attack-event.js';
import type { Config } from './config.js';
import type { ProviderRunStats } from './enrichment/enricher.js';
import type { DropReason } from './indicators.js';
import type { EventChanges } from './misp/build.js';
import type { EventDelivery, RejectedItem } from './misp/sink.js';
import { renderHtmlReport } from './report-html.js';

export interface BucketReport {
  honeypot: string;
  day: string;
  eventUuid?: string;
  documents: number;
  /**
   * Indicators seen, by MISP attribute type (objects as `object:<template>`): unique within a flush, so a value seen
   * again in a later flush (a run of several flushes, a realtime day) counts again.
   */
  indicators: Record<string, number>;
  eventCreated: boolean;
  attributesAdded: number;
  attributesUpdated: number;
  objectsAdded: number;
  objectsUpdated: number;
  alreadyPresent: number;
  rejected: RejectedItem[];
}

export interface RunReportJson {
  tool: 'tpot2misp';
  mode: string;
  output: string;
  source: string;
  sink: string;
  startedAt: string;
  finishedAt: string;
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
    valuesDropped: number;
  };
  buckets: BucketReport[];
  /** Skipped documents: honeypot type (or "unknown") → reason → count. */
  skipped: Record<string, Partial<Record<SkipReason, number>>>;
  /** Indicator values left out of otherwise good documents. */
  valuesDropped: Partial<Record<DropReason, number>>;
  /** The most active attacker IPs, credentials and commands of this run, with their hit counts. */
  top: { ips: TopEntry[]; credentials: TopEntry[]; commands: TopEntry[]; countries: TopEntry[]; asns: TopEntry[] };
  /** Attacks whose document carried T-Pot's GeoIP fields (only Elasticsearch documents do). */
  attacksWithOrigin: number;
  /** Enrichment in this run, per provider (absent when enrichment is off). */
  enrichment?: Record<string, ProviderRunStats>;
  /** MISP_URL, for links to the events (absent for a feed). */
  mispUrl?: string;
}

export interface TopEntry {
  value: string;
  count: number;
}

const TOP_N = 15;

/** Keeps the N largest counts per key, merging repeats (bounded: never more than 4·N entries held). */
class TopList {
  readonly #counts = new Map<string, number>();

  add(value: string, count: number): void {
    this.#counts.set(value, (this.#counts.get(value) ?? 0) + count);
    if (this.#counts.size > TOP_N * 4) {
      const keep = [...this.#counts].sort((a, b) => b[1] - a[1]).slice(0, TOP_N * 2);
      this.#counts.clear();
      for (const [v, n] of keep) this.#counts.set(v, n);
    }
  }

  /** Adds another list's counts (a committed flush's, see RunReport.absorb). */
  merge(other: TopList): void {
    for (const [value, count] of other.#counts) this.add(value, count);
  }

  entries(): TopEntry[] {
    return [...this.#counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP_N).map(([value, count]) => ({ value, count }));
  }
}

const MAX_REJECTED_LISTED = 100;
// Country codes are a small set; ASNs are not: beyond this many distinct ones, new ASNs are not counted.
const MAX_ASNS_COUNTED = 50_000;

/** Counts per key in a plain map, for small key sets (countries, ASNs). */
function topOf<K>(counts: ReadonlyMap<K, number>, label: (key: K) => string): TopEntry[] {
  return [...counts]
    .map(([key, count]) => ({ value: label(key), count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1))
    .slice(0, TOP_N);
}

/** Makes attacker-influenced text safe for a plain-text report line: no control characters, bounded. */
function printable(text: string, max = 200): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

type DeliveryCounts = Pick<BucketReport, 'eventCreated' | 'attributesAdded' | 'attributesUpdated' | 'objectsAdded' | 'objectsUpdated' | 'alreadyPresent'> & { readonly rejected: readonly RejectedItem[] };

/** Adds what the sink did (one delivery, or a committed flush's bucket) to a bucket's counts. */
function addDelivery(into: BucketReport, from: DeliveryCounts): void {
  into.eventCreated ||= from.eventCreated;
  into.attributesAdded += from.attributesAdded;
  into.attributesUpdated += from.attributesUpdated;
  into.objectsAdded += from.objectsAdded;
  into.objectsUpdated += from.objectsUpdated;
  into.alreadyPresent += from.alreadyPresent;
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
  readonly #top = { ips: new TopList(), credentials: new TopList(), commands: new TopList() };
  readonly #countries = new Map<string, number>();
  readonly #asns = new Map<number, number>();
  readonly #asOrgs = new Map<number, string>();
  #attacksWithOrigin = 0;
  #enrichment: Record<string, ProviderRunStats> | undefined;
  readonly #mispUrl: string | undefined;
  records = 0;
  attacks = 0;

  constructor(meta: { mode: string; output: string; source: string; sink: string; mispUrl?: string }) {
    this.#mispUrl = meta.mispUrl;
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
      for (const [type, count] of Object.entries(from.indicators)) into.indicators[type] = (into.indicators[type] ?? 0) + count;
      addDelivery(into, from);
    }
    for (const [honeypot, reasons] of flush.#skipped) for (const [reason, count] of reasons) this.#countSkips(honeypot, reason, count);
    for (const [reason, count] of flush.#dropped) this.#dropped.set(reason, (this.#dropped.get(reason) ?? 0) + count);
    this.#top.ips.merge(flush.#top.ips);
    this.#top.credentials.merge(flush.#top.credentials);
    this.#top.commands.merge(flush.#top.commands);
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
        eventCreated: false,
        attributesAdded: 0,
        attributesUpdated: 0,
        objectsAdded: 0,
        objectsUpdated: 0,
        alreadyPresent: 0,
        rejected: [],
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
    // Per bucket, only its own most active entries reach the run's top lists: bounded work and memory.
    const ips: [string, number][] = [];
    const credentials: [string, number][] = [];
    const commands: [string, number][] = [];
    for (const { indicator, tally } of bucket.items.values()) {
      // A zero count is a re-delivery with new enrichment, not an indicator of this run.
      if (tally.count === 0) continue;
      const type = indicator.kind === 'attribute' ? indicator.type : `object:${indicator.template}`;
      report.indicators[type] = (report.indicators[type] ?? 0) + 1;
      if (indicator.kind === 'attribute') {
        if (indicator.type === 'ip-src') ips.push([indicator.value, tally.count]);
        continue;
      }
      const value = (relation: string) => indicator.attributes.find((a) => a.relation === relation)?.value;
      const password = value('password');
      const username = value('username');
      if (username !== undefined || password !== undefined) credentials.push([`${username ?? ''} / ${password ?? ''}`, tally.count]);
      const command = value('input') ?? value('command_line');
      if (command !== undefined) commands.push([command, tally.count]);
    }
    const feed = (list: TopList, entries: [string, number][]) => {
      for (const [v, n] of entries.sort((a, b) => b[1] - a[1]).slice(0, TOP_N)) list.add(v, n);
    };
    feed(this.#top.ips, ips);
    feed(this.#top.credentials, credentials);
    feed(this.#top.commands, commands);
  }

  delivered(changes: EventChanges, delivery: EventDelivery): void {
    const report = this.#bucket(changes.honeypot, changes.day);
    report.eventUuid = changes.event.uuid;
    addDelivery(report, delivery);
  }

  toJson(): RunReportJson {
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
      totals: {
        records: this.records,
        attacks: this.attacks,
        skipped: skippedTotal,
        events: buckets.filter((b) => b.eventUuid !== undefined).length,
        eventsCreated: buckets.filter((b) => b.eventCreated).length,
        attributesAdded: sum((b) => b.attributesAdded),
        attributesUpdated: sum((b) => b.attributesUpdated),
        objectsAdded: sum((b) => b.objectsAdded),
        objectsUpdated: sum((b) => b.objectsUpdated),
        rejected: sum((b) => b.rejected.length),
        valuesDropped: [...this.#dropped.values()].reduce((a, b) => a + b, 0),
      },
      buckets,
      skipped,
      valuesDropped: Object.fromEntries([...this.#dropped.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
      top: {
        ips: this.#top.ips.entries(),
        credentials: this.#top.credentials.entries(),
        commands: this.#top.commands.entries(),
        countries: topOf(this.#countries, (code) => code),
        asns: topOf(this.#asns, (asn) => `AS${asn}${this.#asOrgs.has(asn) ? ` ${this.#asOrgs.get(asn)}` : ''}`),
      },
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
      '',
      `records read: ${t.records}   attacks: ${t.attacks}   skipped: ${t.skipped}   values dropped: ${t.valuesDropped}`,
      `MISP events touched: ${t.events} (created ${t.eventsCreated})   attributes +${t.attributesAdded} ~${t.attributesUpdated}   objects +${t.objectsAdded} ~${t.objectsUpdated}   rejected: ${t.rejected}`,
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
        `${b.day}  ${b.honeypot.padEnd(15)} documents ${String(b.documents).padStart(7)}  event ${b.eventCreated ? 'created' : b.eventUuid ? 'updated' : '-'}${b.eventUuid ? ` ${b.eventUuid}` : ''}`,
        `    indicators: ${indicators || '-'}`,
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
      if (entries.length > 0) lines.push(`${title}: ${entries.slice(0, 10).map((e) => `${printable(e.value, 60)} (${e.count})`).join(', ')}`);
    };
    row('IPs', json.top.ips);
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
