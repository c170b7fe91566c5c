// The validation report as one self-contained HTML page for analysts: inline CSS and inline SVG bar charts,
// no script at all (and a Content-Security-Policy that forbids any), so attacker-written strings — every
// one of them escaped — can never run in the reader's browser.
import type { RunReportJson, TopAccuracy, TopEntry } from './report.js';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Characters that let attacker text lie about itself on screen, beyond the C0/C1 controls: bidirectional controls
 * (U+061C, U+200E/U+200F, U+202A–U+202E, U+2066–U+2069: the username "root\u202egnp.exe" displays as "rootexe.png"),
 * invisible and zero-width characters (U+00AD, U+180E, U+200B–U+200D, U+2060–U+2064, U+206A–U+206F, U+FEFF,
 * U+FFF9–U+FFFB) and the line/paragraph separators U+2028/U+2029. Reports show each as a visible `\uXXXX`.
 */
const INVISIBLE = '\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb';
const HIDDEN_IN_HTML = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${INVISIBLE}]`, 'g');
const HIDDEN_IN_TEXT = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${INVISIBLE}]`, 'g');
const visible = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Attacker-influenced text for a plain-text line: control, bidirectional and invisible characters shown as `\uXXXX`. */
export function showHidden(text: string): string {
  return text.replace(HIDDEN_IN_TEXT, visible);
}

/**
 * What a failed run's report covers, and what becomes of the rest. Realtime: a rolling report, rewritten when a flush
 * fails and again once one delivers.
 */
export function failureCoverage(mode: string): string {
  const after = mode === 'realtime' ? 'the messages received since wait in the outbox, and every flush tries again' : 'the next run reads the rest again';
  return `This report covers only what was delivered before the failure; ${after}`;
}

/** Text for HTML content and attribute values: markup characters escaped, control and invisible characters shown, bounded. */
export function escapeHtml(text: string, max = 300): string {
  const bounded = text.length > max ? `${text.slice(0, max)}…` : text;
  return bounded.replace(HIDDEN_IN_HTML, visible).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

interface Bar {
  readonly label: string;
  readonly value: number;
  /** Optional second label shown at the bar's end (e.g. the count). */
  readonly note?: string;
}

const PALETTE = ['#2f6fb0', '#c0504d', '#4f9a55', '#8064a2', '#d08a2c', '#3a9aa8', '#9b4f7a', '#6b7f2a'];

/** A horizontal bar chart as inline SVG. */
function barChart(title: string, bars: readonly Bar[], color = PALETTE[0]!, empty = 'nothing in this run', note?: string): string {
  if (bars.length === 0) return `<section><h2>${escapeHtml(title)}</h2><p class="empty">${escapeHtml(empty)}</p></section>`;
  const caption = note === undefined ? '' : `<p class="note">${escapeHtml(note, 1000)}</p>`;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const rowHeight = 22;
  const labelWidth = 300;
  const chartWidth = 520;
  const height = bars.length * rowHeight + 8;
  const rows = bars
    .map((bar, i) => {
      const y = i * rowHeight + 4;
      const width = Math.max(2, Math.round((bar.value / max) * chartWidth));
      return `<text class="label" x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(bar.label, 40)}</text>`
        + `<rect class="bar" x="${labelWidth}" y="${y + 2}" width="${width}" height="${rowHeight - 6}" fill="${color}"><title>${escapeHtml(bar.label)}: ${escapeHtml(bar.note ?? String(bar.value))}</title></rect>`
        + `<text class="value" x="${labelWidth + width + 6}" y="${y + 15}">${escapeHtml(bar.note ?? String(bar.value))}</text>`;
    })
    .join('');
  return `<section><h2>${escapeHtml(title)}</h2>${caption}<svg class="chart" role="img" aria-label="${escapeHtml(title)}" width="${labelWidth + chartWidth + 90}" height="${height}" viewBox="0 0 ${labelWidth + chartWidth + 90} ${height}">${rows}</svg></section>`;
}

/** Attacks per honeypot and day: one bar per (day, honeypot), coloured by honeypot. */
function attacksChart(json: RunReportJson): string {
  const honeypots = [...new Set(json.buckets.map((b) => b.honeypot))].sort();
  const colour = (h: string) => PALETTE[honeypots.indexOf(h) % PALETTE.length]!;
  const bars = json.buckets.filter((b) => b.documents > 0);
  if (bars.length === 0) return barChart('Attacks per honeypot and day', []);
  const max = Math.max(...bars.map((b) => b.documents));
  const rowHeight = 22;
  const rows = bars
    .map((b, i) => {
      const y = i * rowHeight + 4;
      const width = Math.max(2, Math.round((b.documents / max) * 520));
      return `<text class="label" x="292" y="${y + 15}" text-anchor="end">${escapeHtml(b.day)} ${escapeHtml(b.honeypot)}</text>`
        + `<rect class="bar" x="300" y="${y + 2}" width="${width}" height="${rowHeight - 6}" fill="${colour(b.honeypot)}"><title>${escapeHtml(b.honeypot)} ${escapeHtml(b.day)}: ${b.documents}</title></rect>`
        + `<text class="value" x="${306 + width}" y="${y + 15}">${b.documents}</text>`;
    })
    .join('');
  const height = bars.length * rowHeight + 8;
  return `<section><h2>Attacks per honeypot and day</h2><svg class="chart" role="img" aria-label="Attacks per honeypot and day" width="910" height="${height}" viewBox="0 0 910 ${height}">${rows}</svg></section>`;
}

/**
 * A top list as a bar chart. Exact figures are shown as they are; estimates (more distinct values than the report
 * tracks) as "at least–at most", with a caption saying so.
 */
function topChart(title: string, entries: readonly TopEntry[], color: string, empty?: string, accuracy?: TopAccuracy, what = 'values'): string {
  const bars = entries.map((e) => ({ label: e.value, value: e.count, ...(e.error !== undefined && { note: `${e.count - e.error}–${e.count}` }) }));
  const note = accuracy === undefined || accuracy.exact
    ? undefined
    : `Approximate: this run saw more than ${accuracy.counters.toLocaleString('en')} distinct ${what}, more than the report tracks at once. A figure "a–b" means at least a and at most b hits (off by at most ${accuracy.maxError.toLocaleString('en')} of ${accuracy.hits.toLocaleString('en')} hits); a single number is exact.`;
  return barChart(title, bars, color, empty, note);
}

/** A MISP link base without any user or password written into MISP_URL (report.json holds it masked already). */
function linkBase(mispUrl: string | undefined): string | undefined {
  if (mispUrl === undefined) return undefined;
  try {
    const url = new URL(mispUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    url.username = '';
    url.password = '';
    return url.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

const REGIONS = new Intl.DisplayNames(['en'], { type: 'region' });

/** "CN China": the code analysts search by, and the name they read. */
function countryLabel(code: string): string {
  try {
    const name = REGIONS.of(code);
    return name !== undefined && name !== code ? `${code} ${name}` : code;
  } catch {
    return code;
  }
}

const NO_GEOIP = 'no GeoIP data in this run: only T-Pot\'s Elasticsearch documents carry it (batch mode)';

function eventsTable(json: RunReportJson): string {
  const base = linkBase(json.mispUrl);
  const rows = json.buckets
    .map((b) => {
      const event = b.eventUuid === undefined
        ? '—'
        : base !== undefined
          ? `<a href="${escapeHtml(`${base}/events/view/${b.eventUuid}`, 500)}">${escapeHtml(b.eventUuid)}</a>`
          : `<code>${escapeHtml(b.eventUuid)}</code>`;
      const parts = b.parts ?? 1;
      const indicators = Object.entries(b.indicators).map(([type, n]) => `${escapeHtml(type)} ${n}`).join(', ')
        + (parts > 1 && Object.keys(b.indicators).length > 0 ? ` <span class="note">(added over ${parts} parts*)</span>` : '');
      return `<tr><td>${escapeHtml(b.day)}</td><td>${escapeHtml(b.honeypot)}</td><td class="n">${b.documents}</td><td>${event}${b.eventDeleted ? ' <span class="tag">deleted in MISP: not sent</span>' : b.eventCreated ? ' <span class="tag">new</span>' : ''}</td><td class="n">+${b.attributesAdded} ~${b.attributesUpdated}</td><td class="n">+${b.objectsAdded} ~${b.objectsUpdated}</td><td class="n">${b.rejected.length}</td><td>${indicators}</td></tr>`;
    })
    .join('');
  const rejected = json.buckets.flatMap((b) => b.rejected.map((r) => `<li><code>${escapeHtml(r.uuid)}</code>: ${escapeHtml(r.reason)}</li>`)).slice(0, 50).join('');
  const footnote = json.buckets.some((b) => (b.parts ?? 1) > 1)
    ? '<p class="note">Indicators: unique values. * Data read in several parts (a delivery and checkpoint every MAX_PENDING_INDICATORS unique indicators, or every REALTIME_FLUSH_SECONDS in realtime) is counted per part and added up: a value seen in several parts counts once in each, so these figures can exceed the unique values.</p>'
    : '<p class="note">Indicators: unique values.</p>';
  return `<section><h2>Sent to MISP</h2><table><thead><tr><th>day</th><th>honeypot</th><th>documents</th><th>event</th><th>attributes</th><th>objects</th><th>rejected</th><th>indicators</th></tr></thead><tbody>${rows || '<tr><td colspan="8">no new attacks</td></tr>'}</tbody></table>${footnote}${rejected ? `<h3>Rejected by MISP</h3><ul>${rejected}</ul>` : ''}</section>`;
}

function enrichmentTable(json: RunReportJson): string {
  if (json.enrichment === undefined) return '';
  const rows = Object.entries(json.enrichment)
    .map(([provider, e]) => `<tr><td>${escapeHtml(provider)}</td><td class="n">${e.requests}</td><td class="n">${e.found}</td><td class="n">${e.notFound}</td><td class="n">${e.cacheHits}</td><td class="n">${e.errors}</td><td class="n">${e.queued}</td><td>${e.disabled === undefined ? '' : escapeHtml(e.disabled)}</td></tr>`)
    .join('');
  return `<section><h2>Enrichment</h2><table><thead><tr><th>provider</th><th>requests</th><th>found</th><th>not found</th><th>from cache</th><th>errors</th><th>still queued</th><th>disabled</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/**
 * A run that failed or was stopped says so above everything else: its figures are only part of the new data. The
 * error text can quote what a remote answered, so it is escaped like attacker text.
 */
function outcomeBanner(json: RunReportJson): string {
  if (json.outcome === 'stopped') {
    return '<div class="banner" role="alert"><strong>Run STOPPED</strong> by a signal before the end of the source: this report covers only part of the new data; the next run reads the rest.</div>';
  }
  if (json.outcome !== 'failed') return '';
  const failure = json.failure;
  const why = failure === undefined
    ? ''
    : ` (<code>${escapeHtml(failure.code, 60)}</code>): ${escapeHtml(failure.message, 2000)}${failure.hint === undefined ? '' : `<br>hint: ${escapeHtml(failure.hint, 2000)}`}`;
  return `<div class="banner" role="alert"><strong>${json.mode === 'realtime' ? 'Delivery FAILED' : 'Run FAILED'}</strong>${why}<br>${failureCoverage(json.mode)}.</div>`;
}

export function renderHtmlReport(json: RunReportJson): string {
  const t = json.totals;
  const skippedByReason = new Map<string, number>();
  for (const reasons of Object.values(json.skipped)) for (const [reason, n] of Object.entries(reasons)) skippedByReason.set(reason, (skippedByReason.get(reason) ?? 0) + (n ?? 0));
  const skippedBars = [...skippedByReason].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value }));
  const cards = [
    ['records read', t.records],
    ['attacks', t.attacks],
    ['skipped', t.skipped],
    ['MISP events', t.events],
    ['attributes added', t.attributesAdded],
    ['objects added', t.objectsAdded],
    ['rejected', t.rejected],
    ...(t.eventsDeleted > 0 ? [['events deleted in MISP', t.eventsDeleted]] : []),
  ]
    .map(([label, value]) => `<div class="card"><div class="big">${value}</div><div>${label}</div></div>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tpot2misp report ${escapeHtml(json.finishedAt)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2733;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dee6;padding-bottom:4px}
.meta{color:#5b6675}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{border:1px solid #d8dee6;border-radius:6px;padding:10px 14px;min-width:110px}.big{font-size:22px;font-weight:600}
svg.chart{max-width:100%;height:auto}svg .label{font-size:12px;fill:#1d2733}svg .value{font-size:12px;fill:#5b6675}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e6eaef;padding:4px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}code{font-size:12px}.tag{background:#4f9a55;color:#fff;border-radius:3px;padding:0 4px;font-size:11px}
.banner{border:2px solid #c0504d;background:#fbeceb;color:#6d1f1c;border-radius:6px;padding:10px 14px;margin:12px 0}
.empty,.note{color:#5b6675}.note{font-size:12px;margin:4px 0}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:0 24px}
</style></head><body>
<h1>tpot2misp validation report</h1>
<div class="meta">${escapeHtml(json.mode)} mode → ${escapeHtml(json.output)} · source ${escapeHtml(json.source)} · ${escapeHtml(json.startedAt)} → ${escapeHtml(json.finishedAt)}</div>
${outcomeBanner(json)}
<div class="cards">${cards}</div>
${attacksChart(json)}
<div class="grid">
${topChart('Top attacker IPs (hits)', json.top.ips, PALETTE[1]!, undefined, json.topAccuracy?.ips, 'IPs')}
${topChart('Top credentials tried (username / password)', json.top.credentials, PALETTE[3]!, undefined, json.topAccuracy?.credentials, 'credentials')}
${topChart('Top commands', json.top.commands, PALETTE[4]!, undefined, json.topAccuracy?.commands, 'commands')}
${topChart('Top attacker countries (attacks)', json.top.countries.map((e) => ({ ...e, value: countryLabel(e.value) })), PALETTE[5]!, NO_GEOIP)}
${topChart('Top attacker networks (ASN, attacks)', json.top.asns, PALETTE[6]!, NO_GEOIP)}
${barChart('Skipped documents by reason', skippedBars, PALETTE[7]!)}
</div>
${eventsTable(json)}
${enrichmentTable(json)}
<p class="meta">Attacker-supplied text is shown escaped and cut at 300 characters; the full values are in MISP and report.json.</p>
</body></html>
`;
}
