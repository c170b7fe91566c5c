// Property-based fuzzing of the enrichment renderer (src/enrichment/misp-render.ts): providers' answers
// (VirusTotal, AbuseIPDB, GreyNoise) are outside data, so arbitrary summaries — any finite numbers
// (negative, huge, fractional), any strings (C0 controls, lone surrogates, markup, ~100 KB), nulls where the
// type allows them, any found/not_found mix, any subject kind — must render to MISP objects that MISP accepts
// (its template checks, its attribute validation, its OpenAPI 'Object' schema), that are bounded
// (MAX_TEXT = 1024 UTF-16 units + '…'), free of C0 controls and well-formed UTF-16 (PHP's json_decode rejects a
// lone surrogate, and with it the whole request), deterministic, and that reference the indicator exactly once;
// and to tags of a small known set of shapes, sorted and unique.
//
// `fetchedAt` is this project's own clock (not provider data), so it is drawn from a plausible window only.
//
// Regressions found by these properties (each pinned below by its minimal input): a VirusTotal
// last_analysis_date beyond what a Date holds threw; a GreyNoise name of control characters rendered an empty
// `actor`; a day-shaped non-date ("2024-13-45") rendered an invalid `last-seen`; a blank permalink rendered an
// empty required attribute (now: no virustotal-report object).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { MispObject, MispTag } from '../../src/misp/model.js';
import {
  abuseConfidenceBand,
  ENRICHMENT_RELATIONSHIP,
  enrichmentObjects,
  enrichmentTags,
  isBenignScanner,
  type KnownAnswer,
  type ProviderAnswers,
} from '../../src/enrichment/misp-render.js';
import {
  HIGH_RISK_ABUSE_SCORE,
  type AbuseIpdbSummary,
  type GreyNoiseClassification,
  type GreyNoiseSummary,
  type IndicatorKind,
  type VirusTotalSummary,
} from '../../src/enrichment/provider.js';
import type { EnrichmentSubject } from '../../src/enrichment/subject.js';
import { attributeErrors, objectTemplateError, templates, type ObjectTemplateDefinition } from '../emulators/misp-rules.js';
import { OpenApiValidator } from '../emulators/openapi-validator.js';

const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/** misp-render.ts MAX_TEXT, plus the '…' a cut appends. */
const MAX_TEXT = 1024;
const MAX_RENDERED = MAX_TEXT + 1;
const HUGE = 100_000;
const MAX_TIME = Date.UTC(2200, 0, 1);

const validator = new OpenApiValidator();

// ---------------------------------------------------------------------------------------------------
// Arbitrary provider data.

const LONE_SURROGATES = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF'] as const;
const MARKUP = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{7*7}}',
  '${jndi:ldap://x/a}',
  "'; DROP TABLE attributes; --",
  '\\u0000',
  '%00%0d%0a',
  '[[tag]]',
  'misp-galaxy:threat-actor="APT"',
  'tlp:red',
] as const;

/** One UTF-16 unit or code point that parsers and validators tend to trip on, or plain text. */
const hostileChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffd', '\u202e', ' ', '"', "'", '<', '>', '&', '\\', '|', '…'),
  fc.constantFrom(...LONE_SURROGATES),
  fc.constantFrom('😀', '𝕏', 'é', 'ß', '中'),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
);

const shortHostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }), // any code point, lone surrogates included
  fc.string({ unit: 'grapheme', maxLength: 32 }),
  fc.string({ unit: hostileChar, maxLength: 64 }),
  fc.constantFrom(...MARKUP),
  fc.constant(''),
);

/** Up to ~100 KB: a hostile seed repeated, optionally ending with a lone surrogate. */
const longHostile = fc
  .tuple(fc.string({ unit: hostileChar, minLength: 1, maxLength: 16 }), fc.integer({ min: MAX_TEXT - 8, max: HUGE }), fc.option(fc.constantFrom(...LONE_SURROGATES)))
  .map(([seed, length, tail]) => seed.repeat(Math.ceil(length / seed.length)).slice(0, length) + (tail ?? ''));

/** Text whose cut at MAX_TEXT lands on or next to a surrogate pair, after leading controls/blanks are trimmed. */
const cutBoundary = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(' ', '\t', '\u0000', '\u001f', '\u007f'), maxLength: 4 }),
    fc.integer({ min: MAX_TEXT - 3, max: MAX_TEXT + 1 }),
    fc.constantFrom('😀', '\uD800', '\uDC00', '\uD800\uD800', '\u0001'),
    fc.string({ unit: hostileChar, maxLength: 8 }),
  )
  .map(([lead, n, pivot, rest]) => `${lead}${'a'.repeat(n)}${pivot}${rest}`);

const hostileString = fc.oneof({ arbitrary: shortHostile, weight: 8 }, { arbitrary: longHostile, weight: 1 }, { arbitrary: cutBoundary, weight: 2 });
const hostileOrNull = fc.option(hostileString, { nil: null, freq: 4 });

/** Any finite number: integers, fractions, negatives, huge, -0, the band thresholds. */
const anyNumber = fc.oneof(
  fc.integer(),
  fc.integer({ min: 0, max: 100 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1, 0.5, 24.99, 25, 74.999, HIGH_RISK_ABUSE_SCORE, 100, 101, -1, 1e21, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE),
);

const isoDate = fc.date({ min: new Date(Date.UTC(1970, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
/** Strings shaped YYYY-MM-DD that are no date (a regression: they once rendered an invalid last-seen). */
const notADay = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
  .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);


function summaries() {
  const virustotal: fc.Arbitrary<VirusTotalSummary> = fc.record({
    provider: fc.constant('virustotal' as const),
    malicious: anyNumber,
    suspicious: anyNumber,
    harmless: anyNumber,
    undetected: anyNumber,
    reputation: fc.option(anyNumber, { nil: null }),
    lastAnalysisDate: fc.option(fc.oneof(anyNumber, fc.integer({ min: 0, max: 4_102_444_800 })), { nil: null }),
    permalink: fc
      .oneof(
        hostileString,
        hostileString.map((s) => `https://www.virustotal.com/gui/ip-address/${s}`),
        fc.stringMatching(/^[0-9a-f.:]{1,64}$/).map((s) => `https://www.virustotal.com/gui/ip-address/${s}`),
      ),
  });
  const abuseipdb: fc.Arbitrary<AbuseIpdbSummary> = fc.record({
    provider: fc.constant('abuseipdb' as const),
    abuseConfidenceScore: anyNumber,
    totalReports: anyNumber,
    countryCode: hostileOrNull,
    isp: hostileOrNull,
    usageType: hostileOrNull,
    isWhitelisted: fc.constantFrom(true, false, null),
    lastReportedAt: fc.option(fc.oneof(hostileString, fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), { nil: null }),
  });
  const greynoise: fc.Arbitrary<GreyNoiseSummary> = fc.record({
    provider: fc.constant('greynoise' as const),
    classification: fc.constantFrom<GreyNoiseClassification>('benign', 'malicious', 'unknown'),
    noise: fc.boolean(),
    riot: fc.boolean(),
    name: fc.option(fc.oneof(hostileString, fc.string({ unit: fc.constantFrom(' ', '\t', '\u0001', '\u001f', '\u007f', '\u00a0'), minLength: 1, maxLength: 6 })), { nil: null }),
    link: fc.option(fc.oneof(hostileString, fc.tuple(fc.constantFrom('http://', 'https://', 'HTTPS://'), hostileString).map(([scheme, rest]) => scheme + rest)), { nil: null }),
    lastSeen: fc.option(fc.oneof(isoDate, notADay, hostileString), { nil: null }),
  });
  return { virustotal, abuseipdb, greynoise };
}

function known<S extends VirusTotalSummary | AbuseIpdbSummary | GreyNoiseSummary>(summary: fc.Arbitrary<S>): fc.Arbitrary<KnownAnswer | undefined> {
  const fetchedAt = fc.integer({ min: 0, max: MAX_TIME });
  return fc.oneof(
    fc.constant(undefined),
    fetchedAt.map((at): KnownAnswer => ({ answer: { status: 'not_found' }, fetchedAt: at })),
    fc.tuple(summary, fetchedAt).map(([data, at]): KnownAnswer => ({ answer: { status: 'found', data }, fetchedAt: at })),
    fc.tuple(summary, fetchedAt).map(([data, at]): KnownAnswer => ({ answer: { status: 'found', data }, fetchedAt: at })),
  );
}

function answersArb(): fc.Arbitrary<ProviderAnswers> {
  const s = summaries();
  return fc.record({ virustotal: known(s.virustotal), abuseipdb: known(s.abuseipdb), greynoise: known(s.greynoise) }).map((r) => {
    const answers: { -readonly [K in keyof ProviderAnswers]: ProviderAnswers[K] } = {};
    if (r.virustotal !== undefined) answers.virustotal = r.virustotal;
    if (r.abuseipdb !== undefined) answers.abuseipdb = r.abuseipdb;
    if (r.greynoise !== undefined) answers.greynoise = r.greynoise;
    return answers;
  });
}

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });
const subjectArb: fc.Arbitrary<EnrichmentSubject> = fc.oneof(
  fc.oneof(fc.ipV4(), fc.ipV6()).map((value) => ({ kind: 'ip' as IndicatorKind, value })),
  hex(64).map((value) => ({ kind: 'sha256' as IndicatorKind, value })),
  hex(32).map((value) => ({ kind: 'md5' as IndicatorKind, value })),
  fc.webUrl({ withQueryParameters: true, withFragments: true }).map((value) => ({ kind: 'url' as IndicatorKind, value })),
);

interface Input {
  readonly eventUuid: string;
  readonly indicatorUuid: string;
  readonly subject: EnrichmentSubject;
  readonly answers: ProviderAnswers;
}
function inputArb(): fc.Arbitrary<Input> {
  return fc.record({ eventUuid: fc.uuid(), indicatorUuid: fc.uuid(), subject: subjectArb, answers: answersArb() });
}

// ---------------------------------------------------------------------------------------------------
// Checks.

function foundData<S>(answer: KnownAnswer | undefined): S | undefined {
  return answer !== undefined && answer.answer.status === 'found' ? (answer.answer.data as S) : undefined;
}

/** The templates that should be rendered for these answers, sorted. */
function expectedTemplates(subject: EnrichmentSubject, answers: ProviderAnswers): string[] {
  const names: string[] = [];
  const vt = foundData<VirusTotalSummary>(answers.virustotal);
  // The template requires a permalink, and MISP drops a `link` that is not a URL (PHP's FILTER_VALIDATE_URL: a scheme,
  // a host, printable ASCII; a text cut with "…" is none): no object then.
  const permalink = vt?.permalink.replace(/[\u0000-\u001f\u007f]/g, ' ').trim() ?? '';
  if (vt !== undefined && permalink.length <= MAX_TEXT && /^https?:\/\/[^\s/?#]+/i.test(permalink) && /^[\x21-\x7e]+$/.test(permalink)) names.push('virustotal-report');
  if (foundData(answers.abuseipdb) !== undefined) names.push('abuseipdb');
  if (foundData(answers.greynoise) !== undefined && subject.kind === 'ip') names.push('greynoise-ip');
  return names.sort();
}

function assertBoundedText(text: string, where: string): void {
  assert.ok(text.length <= MAX_RENDERED, `${where}: ${text.length} UTF-16 units > ${MAX_RENDERED}`);
  assert.ok(!/[\u0000-\u001f\u007f]/.test(text), `${where}: contains a control character: ${JSON.stringify(text.slice(0, 80))}`);
}

function assertWellFormed(text: string, where: string): void {
  assert.ok(text.isWellFormed(), `${where}: not well-formed UTF-16 (lone surrogate): ${JSON.stringify(text.slice(0, 80))}`);
}

/** Properties 2–4 for one object (MISP acceptance, bounds, reference). */
function checkObject(object: MispObject, input: Input): void {
  const where = object.name;
  const template = templates.get(object.template_uuid.toLowerCase());
  assert.ok(template !== undefined, `${where}: unknown template ${object.template_uuid}`);
  // objectTemplateError skips unknown templates and other versions: make sure it really checked this one.
  assert.equal(template.name, object.name);
  assert.equal(String(template.version), object.template_version);
  assert.equal(objectTemplateError({ ...object }), undefined, `${where}: template check`);
  assert.equal(validator.check('Object', object), undefined, `${where}: OpenAPI Object`);
  assert.deepEqual(JSON.parse(JSON.stringify(object)), object, `${where}: JSON round trip`);

  assertBoundedText(object.comment, `${where} comment`);
  const uuids = new Set<string>([object.uuid]);
  for (const attribute of object.Attribute) {
    const at = `${where}/${attribute.object_relation ?? '?'}`;
    assert.deepEqual(attributeErrors({ ...attribute }), {}, `${at}: MISP attribute validation of ${JSON.stringify(attribute.value.slice(0, 80))}`);
    const definition: ObjectTemplateDefinition['attributes'][string] | undefined = attribute.object_relation === undefined ? undefined : template.attributes[attribute.object_relation];
    assert.ok(definition !== undefined, `${at}: relation not in the template`);
    assert.equal(attribute.type, definition['misp-attribute'], `${at}: type differs from the template's`);
    assert.equal(attribute.to_ids, false, `${at}: enrichment facts are not IDS indicators`);
    assertBoundedText(attribute.value, at);
    assert.equal(attribute.timestamp, object.timestamp);
    uuids.add(attribute.uuid);
  }
  assert.equal(uuids.size, object.Attribute.length + 1, `${where}: attribute uuids not distinct`);

  const references = object.ObjectReference ?? [];
  assert.equal(references.length, 1, `${where}: exactly one ObjectReference`);
  const [reference] = references;
  assert.ok(reference !== undefined);
  assert.equal(reference.object_uuid, object.uuid);
  assert.equal(reference.referenced_uuid, input.indicatorUuid);
  assert.equal(reference.relationship_type, ENRICHMENT_RELATIONSHIP);
  assert.ok(!uuids.has(reference.uuid), `${where}: reference uuid reused`);
}

/** Property 3's UTF-16 half. */
function checkWellFormed(objects: readonly MispObject[]): void {
  for (const object of objects) {
    assertWellFormed(object.comment, `${object.name} comment`);
    for (const attribute of object.Attribute) assertWellFormed(attribute.value, `${object.name}/${attribute.object_relation ?? '?'}`);
  }
}

const TAG_SHAPE = /^(virustotal:verdict="(malicious|suspicious|undetected)"|abuseipdb:confidence="(high|medium|low|none)"|greynoise:classification="(benign|malicious|unknown)"|greynoise:noise="true"|greynoise:riot="true"|tpot:scanner="benign")$/;

function checkTags(tags: readonly MispTag[], answers: ProviderAnswers): void {
  const names = tags.map((t) => t.name);
  assert.deepEqual(names, [...names].sort(), 'tags sorted');
  assert.equal(new Set(names).size, names.length, 'tags unique');
  for (const tag of tags) {
    assert.deepEqual(Object.keys(tag), ['name']);
    assert.match(tag.name, TAG_SHAPE);
    assert.equal(validator.check('TagNoId', tag), undefined);
  }
  // And they say what the answers say.
  const vt = foundData<VirusTotalSummary>(answers.virustotal);
  const verdict = vt === undefined ? undefined : vt.malicious > 0 ? 'malicious' : vt.suspicious > 0 ? 'suspicious' : 'undetected';
  assert.deepEqual(names.filter((n) => n.startsWith('virustotal:')), verdict === undefined ? [] : [`virustotal:verdict="${verdict}"`]);
  const abuse = foundData<AbuseIpdbSummary>(answers.abuseipdb);
  assert.deepEqual(names.filter((n) => n.startsWith('abuseipdb:')), abuse === undefined ? [] : [`abuseipdb:confidence="${abuseConfidenceBand(abuse.abuseConfidenceScore)}"`]);
  const gn = foundData<GreyNoiseSummary>(answers.greynoise);
  assert.equal(names.includes(`greynoise:classification="${gn?.classification ?? ''}"`), gn !== undefined);
  assert.equal(names.includes('greynoise:noise="true"'), gn?.noise === true);
  assert.equal(names.includes('greynoise:riot="true"'), gn?.riot === true);
  const benign = gn?.classification === 'benign' || gn?.riot === true || abuse?.isWhitelisted === true;
  assert.equal(isBenignScanner(answers), benign);
  assert.equal(names.includes('tpot:scanner="benign"'), benign);
}

function render(input: Input): MispObject[] {
  return enrichmentObjects(input.eventUuid, input.indicatorUuid, input.subject, input.answers);
}

/** Properties 1–4 for one input. */
function checkRendering(input: Input): void {
  const objects = render(input); // property 1: this does not throw
  assert.deepEqual(objects.map((o) => o.name).sort(), expectedTemplates(input.subject, input.answers));
  for (const object of objects) checkObject(object, input);
  // Deterministic, one uuid per template.
  assert.deepEqual(render(input), objects);
  assert.equal(new Set(objects.map((o) => o.uuid)).size, objects.length, 'object uuids distinct across templates');
}

// ---------------------------------------------------------------------------------------------------

describe('fuzzing the enrichment renderer', () => {
  it('arbitrary answers render without throwing to objects MISP accepts, bounded, referencing the indicator once', { timeout: 60_000 }, () => {
    fc.assert(fc.property(inputArb(), checkRendering), { numRuns: NUM_RUNS });
  });

  it('rendered values and comments are well-formed UTF-16 (no lone surrogate reaches PHP json_decode)', { timeout: 60_000 }, () => {
    fc.assert(fc.property(inputArb(), (input) => checkWellFormed(render(input))), { numRuns: NUM_RUNS });
  });

  it('an object keeps its uuid whatever the answer (a newer answer updates it in place); other indicators get others', () => {
    fc.assert(
      fc.property(inputArb(), answersArb(), fc.uuid(), (input, other, otherIndicator) => {
        const uuids = (objects: MispObject[]) => new Map(objects.map((o) => [o.name, o.uuid]));
        const first = uuids(render(input));
        const second = uuids(render({ ...input, answers: other }));
        for (const [name, uuid] of first) if (second.has(name)) assert.equal(second.get(name), uuid, name);
        if (otherIndicator.toLowerCase() !== input.indicatorUuid.toLowerCase()) {
          const elsewhere = new Set(render({ ...input, indicatorUuid: otherIndicator }).map((o) => o.uuid));
          for (const uuid of first.values()) assert.ok(!elsewhere.has(uuid), 'same object uuid for two indicators');
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('tags are sorted, unique, of the known shapes, and say what the answers say', () => {
    fc.assert(fc.property(answersArb(), (answers) => checkTags(enrichmentTags(answers), answers)), { numRuns: NUM_RUNS });
  });

  it('abuseConfidenceBand: thresholds 75/25/1 and monotone over any finite score', () => {
    const rank = { none: 0, low: 1, medium: 2, high: 3 } as const;
    fc.assert(
      fc.property(anyNumber, anyNumber, (a, b) => {
        const band = abuseConfidenceBand(a);
        assert.equal(band, a >= HIGH_RISK_ABUSE_SCORE ? 'high' : a >= 25 ? 'medium' : a >= 1 ? 'low' : 'none');
        if (a <= b) assert.ok(rank[band] <= rank[abuseConfidenceBand(b)]);
      }),
      { numRuns: NUM_RUNS * 2 },
    );
  });
});

describe('enrichment renderer fuzzing regressions', () => {
  const eventUuid = '0b6f6e64-5d7e-4c1a-9f0e-3f1f2b9b1a01';
  const indicatorUuid = '0b6f6e64-5d7e-4c1a-9f0e-3f1f2b9b1a02';
  const ip: EnrichmentSubject = { kind: 'ip', value: '198.51.100.7' };
  const vt = (overrides: Partial<VirusTotalSummary>): ProviderAnswers => ({
    virustotal: {
      answer: { status: 'found', data: { provider: 'virustotal', malicious: 1, suspicious: 0, harmless: 2, undetected: 3, reputation: null, lastAnalysisDate: null, permalink: 'https://www.virustotal.com/gui/ip-address/198.51.100.7', ...overrides } },
      fetchedAt: 1_700_000_000_000,
    },
  });
  const gn = (overrides: Partial<GreyNoiseSummary>): ProviderAnswers => ({
    greynoise: {
      answer: { status: 'found', data: { provider: 'greynoise', classification: 'malicious', noise: true, riot: false, name: null, link: null, lastSeen: null, ...overrides } },
      fetchedAt: 1_700_000_000_000,
    },
  });
  const check = (answers: ProviderAnswers) => {
    const input = { eventUuid, indicatorUuid, subject: ip, answers };
    checkRendering(input);
    checkWellFormed(render(input));
  };

  it('a text cut at MAX_TEXT through a surrogate pair stays well-formed', () => {
    check(gn({ name: `${'a'.repeat(MAX_TEXT - 1)}😀tail` }));
    check(vt({ permalink: `https://x/${'a'.repeat(MAX_TEXT - 11)}\uD800` }));
  });

  it('a name of only whitespace adds no actor', () => {
    check(gn({ name: ' \t ' }));
  });

  it('a VirusTotal lastAnalysisDate beyond what a Date can hold does not throw', () => {
    check(vt({ lastAnalysisDate: 8.64e12 + 1 }));
  });

  it('a GreyNoise name made only of control characters adds no empty actor', () => {
    check(gn({ name: '\u0001' }));
  });

  it('a GreyNoise lastSeen shaped like a day but not one adds no last-seen', () => {
    check(gn({ lastSeen: '2024-13-45' }));
  });

  it('a blank VirusTotal permalink does not render an empty required attribute', () => {
    check(vt({ permalink: '' }));
  });

  it('a VirusTotal permalink that is no URL MISP takes as a link renders no object (an edit would drop it quietly)', () => {
    for (const permalink of ['!', 'https://', 'https://www.virustotal.com/gui/ip-address/192.0.2.1 x', 'https://www.virustotal.com/gui/ip-address/é']) {
      assert.deepEqual(enrichmentObjects(eventUuid, indicatorUuid, ip, vt({ permalink })), [], permalink);
    }
  });
});
