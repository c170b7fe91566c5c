// Property-based fuzzing of every honeypot module: attacker-written documents (arbitrary JSON, and real
// T-Pot documents with fields replaced by hostile values) never make `normalize` or `fromNative` throw,
// and what comes out is well-typed and bounded all the way to the MISP indicators.
//
// Bounds checked are the ones the code applies: the attacker address is at most 64 characters
// (common-event.ts MAX_IP_TEXT), the AS org at most 100 (MAX_AS_ORG), the attack time inside time.ts'
// plausible window, and every indicator value well-formed and at most MAX_VALUE_BYTES of UTF-8
// (indicators.ts). `normalize` itself applies no general string length limit (strings are passed
// through as the document gave them; indicators bound them), so its other strings are only checked
// not to be amplified beyond the input's own text.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { isSkip, SKIP_REASONS, type AttackEvent, type NormalizeResult } from '../../src/attack-event.js';
import { AttackerIpPolicy } from '../../src/attacker-ip-policy.js';
import type { Doc } from '../../src/honeypots/fields.js';
import type { Honeypot } from '../../src/honeypots/honeypot.js';
import { allHoneypots } from '../../src/honeypots/registry.js';
import { DROP_REASONS, extractIndicators, MAX_VALUE_BYTES } from '../../src/indicators.js';

const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const MAX_IP_TEXT = 64;
const MAX_AS_ORG = 100;
const MIN_TIME = Date.UTC(1995, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);
const HUGE = 100_000;

const FIXTURE_DIRS = [new URL('../fixtures/tpot/', import.meta.url), new URL('../../../shared/fixtures/tpot/', import.meta.url)];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type MutableDoc = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------
// Fixtures: real Elasticsearch documents by type, and native log records by module.

function fixtureFiles(suffix: string): URL[] {
  return FIXTURE_DIRS.filter((dir) => existsSync(dir)).flatMap((dir) =>
    readdirSync(dir).filter((name) => name.endsWith(suffix)).map((name) => new URL(name, dir)),
  );
}

function jsonLines(url: URL): MutableDoc[] {
  return readFileSync(url, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as MutableDoc);
}

const esDocs = new Map<string, MutableDoc[]>();
for (const url of fixtureFiles('.es.jsonl')) {
  for (const doc of jsonLines(url)) {
    const type = String(doc['type']);
    esDocs.set(type, [...(esDocs.get(type) ?? []), doc]);
  }
}

/** The module whose first log lives in `<dir>/…`, for native fixture files named `<dir>.log.*`. */
function moduleForNativeFile(name: string): Honeypot | undefined {
  const dir = name.split('.log.')[0];
  return allHoneypots().find((m) => m.logs.some((log) => log.path.startsWith(`${dir}/`)));
}

const nativeRecords = new Map<Honeypot, MutableDoc[]>();
for (const url of [...fixtureFiles('.log.jsonl'), ...fixtureFiles('.log.csv'), ...fixtureFiles('.log.txt')]) {
  const name = url.pathname.split('/').pop() ?? '';
  const module = moduleForNativeFile(name);
  if (module === undefined) continue;
  const text = readFileSync(url, 'utf8');
  const records: MutableDoc[] = name.endsWith('.csv')
    ? (parseCsv(text, { columns: true, skip_empty_lines: true }) as MutableDoc[])
    : name.endsWith('.txt')
      ? text.split('\n').filter((l) => l !== '').map((message) => ({ message }))
      : jsonLines(url);
  nativeRecords.set(module, [...(nativeRecords.get(module) ?? []), ...records]);
}

/** Every string value found in the fixtures: real-looking event ids, protocols, timestamps, IPs… */
function stringsIn(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) stringsIn(v, out);
}
const realStrings = new Set<string>();
for (const docs of [...esDocs.values(), ...nativeRecords.values()]) for (const doc of docs) stringsIn(doc, realStrings);

// ---------------------------------------------------------------------------------------------------
// Generators of hostile values.

/** Names that look up something on Object.prototype when used as a plain-object key. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'];

const controlString = fc.string({ unit: fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f).map((c) => String.fromCharCode(c)) });
const loneSurrogates = fc.string({ unit: fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', 'a', '\ud83d') });
const hugeString = fc
  .tuple(fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), fc.constantFrom('A', 'é', '\u0000', '\ud800', '😀', 'İ', ' ', ':', '/')), fc.integer({ min: 1_000, max: HUGE }))
  .map(([piece, length]) => piece.repeat(Math.ceil(length / piece.length)).slice(0, length));
const timeLike = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('T', ' ').replace('Z', '')),
  fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc.constantFrom('2025-13-45T99:99:99Z', '9999-12-31T23:59:59+99:99', '0000-00-00 00:00:00', '2025-03-14T09:26:53.589+00:00Z', '1e400', 'NaN'),
);
const ipLike = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.constantFrom('::ffff:198.51.100.7', '[2001:db8::1]:22', '198.51.100.7%eth0', ' 198.51.100.7 ', '0.0.0.0', '::'));

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary' }), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme' }), weight: 2 },
  { arbitrary: controlString, weight: 2 },
  { arbitrary: loneSurrogates, weight: 2 },
  { arbitrary: hugeString, weight: 1 },
  { arbitrary: timeLike, weight: 1 },
  { arbitrary: ipLike, weight: 2 },
  { arbitrary: fc.constantFrom(...PROTOTYPE_KEYS), weight: 1 },
  { arbitrary: fc.constantFrom(...realStrings), weight: 3 },
  { arbitrary: fc.constantFrom(...realStrings).map((s) => s.toUpperCase()), weight: 1 },
);

/** A deeply nested array (no recursion limit should be hit by anything that reads documents). */
const deepValue = fc.integer({ min: 100, max: 5_000 }).map((depth) => {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { x: value };
  return value;
});

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 6 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 65535, 65536, 2 ** 53, -0, 1e308)), weight: 2 },
  { arbitrary: fc.constantFrom(null, true, false), weight: 1 },
  { arbitrary: fc.array(hostileString, { maxLength: 5 }), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  { arbitrary: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom(...PROTOTYPE_KEYS)), hostileString, { maxKeys: 4 }), weight: 1 },
  { arbitrary: deepValue, weight: 1 },
);

/** Top-level and nested field names a module might read. */
function keysFor(module: Honeypot): string[] {
  const fromFixtures = [...(esDocs.get(module.type) ?? []), ...(nativeRecords.get(module) ?? [])].flatMap((d) => Object.keys(d));
  return [...new Set([...module.fields, ...fromFixtures, '@timestamp', 'type', 'src_ip', 'src_port', 'dest_port', 'timestamp', 't-pot_ip_ext', 't-pot_ip_int', 'geoip', 'geoip.as_org', 'geoip.asn', 'geoip.country_code2', ...PROTOTYPE_KEYS])];
}

/** All paths (as key lists) of a document's fields, nested objects included. */
function pathsOf(doc: MutableDoc, prefix: string[] = [], out: string[][] = []): string[][] {
  for (const [key, value] of Object.entries(doc)) {
    const path = [...prefix, key];
    out.push(path);
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && prefix.length < 4) pathsOf(value as MutableDoc, path, out);
  }
  return out;
}

interface Mutation {
  readonly pick: number;
  readonly newKey: string | undefined;
  readonly remove: boolean;
  readonly value: unknown;
}

const mutation = (keys: readonly string[]): fc.Arbitrary<Mutation> =>
  fc.record({
    pick: fc.nat(),
    newKey: fc.option(fc.oneof(fc.constantFrom(...keys), fc.string()), { freq: 4, nil: undefined }),
    remove: fc.nat({ max: 9 }).map((n) => n === 0),
    value: hostileValue,
  });

function setPath(doc: MutableDoc, path: readonly string[], value: unknown, remove: boolean): void {
  let current: MutableDoc = doc;
  for (const part of path.slice(0, -1)) {
    const next = current[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    current = next as MutableDoc;
  }
  const last = path[path.length - 1]!;
  // As JSON.parse does: "__proto__" becomes an own data property, never the prototype.
  if (remove) delete current[last];
  else Object.defineProperty(current, last, { value, enumerable: true, writable: true, configurable: true });
}

/** A real document of the module's type with some fields replaced by (or added as) hostile values. */
function mutatedDoc(module: Honeypot, sources: readonly MutableDoc[]): fc.Arbitrary<MutableDoc> {
  const keys = keysFor(module);
  return fc.tuple(fc.constantFrom(...sources), fc.array(mutation(keys), { minLength: 1, maxLength: 6 })).map(([original, mutations]) => {
    const doc = structuredClone(original);
    for (const m of mutations) {
      const paths = pathsOf(doc);
      const path = m.newKey !== undefined || paths.length === 0 ? [m.newKey ?? 'x'] : paths[m.pick % paths.length]!;
      setPath(doc, path, m.value, m.remove);
    }
    return doc;
  });
}

/** Arbitrary documents: fc.object, JSON values, and dictionaries over the field names the module reads. */
function arbitraryDoc(module: Honeypot): fc.Arbitrary<MutableDoc> {
  const keys = keysFor(module);
  const keyArb = fc.oneof(fc.constantFrom(...keys), fc.string());
  return fc.oneof(
    fc.object().map((o) => o as MutableDoc),
    fc.object({ values: [fc.jsonValue()] }).map((o) => o as MutableDoc),
    fc.jsonValue().filter((v): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v)),
    fc.dictionary(keyArb, hostileValue, { maxKeys: 12 }),
    // Shaped enough to get past the address and time checks, so the type-specific code runs.
    fc.tuple(fc.dictionary(keyArb, hostileValue, { maxKeys: 10 }), ipLike, timeLike).map(([d, ip, t]) => ({ ...d, src_ip: ip, '@timestamp': t, type: module.type })),
  );
}

// ---------------------------------------------------------------------------------------------------
// Checks.

function totalText(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (depth > 50 || typeof value !== 'object' || value === null) return typeof value === 'number' ? 32 : 0;
  let sum = 0;
  for (const [key, v] of Object.entries(value)) sum += key.length + totalText(v, depth + 1);
  return sum;
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function isPort(value: unknown): boolean {
  return value === undefined || (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535);
}

function fitsMisp(value: unknown, what: string): void {
  assert.equal(typeof value, 'string', `${what} is a string`);
  const text = value as string;
  assert.ok(text.isWellFormed(), `${what} is well-formed UTF-16`);
  assert.ok(Buffer.byteLength(text, 'utf8') <= MAX_VALUE_BYTES, `${what} is at most ${MAX_VALUE_BYTES} bytes`);
}

/** Every string the event carries, for the no-amplification check. */
function eventStrings(event: AttackEvent): string[] {
  return [
    event.srcIp,
    event.transport,
    event.protocol,
    event.session,
    event.clientVersion,
    event.hassh,
    ...(event.sensorIps ?? []),
    ...(event.credentials ?? []).flatMap((c) => [c.username, c.password]),
    ...(event.commands ?? []),
    ...(event.files ?? []).flatMap((f) => [f.url, f.sha256, f.md5, f.filename]),
    ...(event.requests ?? []).flatMap((r) => [r.method, r.path]),
    ...(event.userAgents ?? []),
    ...(event.cves ?? []),
    ...(event.alerts ?? []).map((a) => a.signature),
    ...(event.senderEmails ?? []),
    event.origin?.country,
    event.origin?.asOrg,
  ].filter((s): s is string => s !== undefined);
}

function checkEvent(module: Honeypot, event: AttackEvent, input: unknown): void {
  assert.equal(event.honeypot, module.type);
  assert.ok(Number.isInteger(event.time) && event.time >= MIN_TIME && event.time < MAX_TIME, `time ${event.time} in the plausible window`);
  assert.ok(!Number.isNaN(new Date(event.time).getTime()));
  assert.equal(typeof event.srcIp, 'string');
  assert.ok(event.srcIp.length <= MAX_IP_TEXT, 'source address text is bounded');
  assert.equal(event.srcIp, event.srcIp.trim());
  assert.ok(isPort(event.srcPort) && isPort(event.destPort), 'ports are 0–65535');
  for (const key of ['transport', 'protocol', 'session', 'clientVersion', 'hassh'] as const) {
    assert.ok(isOptionalString(event[key]), `${key} is a string when present (got ${typeof event[key]})`);
  }
  for (const key of ['sensorIps', 'commands', 'userAgents', 'cves', 'senderEmails'] as const) {
    const list = event[key];
    assert.ok(list === undefined || (Array.isArray(list) && list.every((v) => typeof v === 'string')), `${key} is a list of strings`);
  }
  for (const c of event.credentials ?? []) assert.ok(isOptionalString(c.username) && isOptionalString(c.password) && (c.success === undefined || typeof c.success === 'boolean'));
  for (const f of event.files ?? []) {
    assert.ok(isOptionalString(f.url) && isOptionalString(f.sha256) && isOptionalString(f.md5) && isOptionalString(f.filename));
    assert.ok(f.size === undefined || Number.isSafeInteger(f.size));
  }
  for (const r of event.requests ?? []) assert.ok(isOptionalString(r.method) && isOptionalString(r.path));
  for (const a of event.alerts ?? []) {
    assert.equal(typeof a.signature, 'string');
    assert.ok(a.signatureId === undefined || Number.isSafeInteger(a.signatureId));
    assert.ok(a.severity === undefined || Number.isSafeInteger(a.severity));
  }
  if (event.origin !== undefined) {
    assert.ok(event.origin.country === undefined || /^[A-Z]{2}$/.test(event.origin.country));
    assert.ok(event.origin.asn === undefined || (Number.isInteger(event.origin.asn) && event.origin.asn > 0));
    assert.ok(event.origin.asOrg === undefined || event.origin.asOrg.length <= MAX_AS_ORG);
  }
  // No general length limit in normalize, but nothing is amplified: an output string is built from the
  // input's text (lower-casing may at most triple a UTF-16 length; joins add a separator).
  const budget = 3 * totalText(input) + 64;
  for (const s of eventStrings(event)) assert.ok(s.length <= budget, `a ${s.length}-char string out of ${budget / 3}-char input`);

  const observation = extractIndicators(event, new AttackerIpPolicy());
  if ('skip' in observation) {
    assert.ok((SKIP_REASONS as readonly string[]).includes(observation.skip));
    return;
  }
  assert.notEqual(isIP(observation.srcIp), 0, `attacker address ${JSON.stringify(observation.srcIp)} is an IP`);
  for (const reason of observation.dropped) assert.ok((DROP_REASONS as readonly string[]).includes(reason));
  // These reach MISP too: as the cowrie object's session, and in attribute comments (ports, protocols).
  for (const key of ['port', 'protocol', 'session'] as const) if (observation[key] !== undefined) fitsMisp(observation[key], `observation ${key}`);
  for (const indicator of observation.indicators) {
    if (indicator.kind === 'attribute') {
      fitsMisp(indicator.value, `${indicator.type} attribute`);
      assert.ok(indicator.value.trim() !== '');
      if (indicator.label !== undefined) fitsMisp(indicator.label, 'attribute label');
    } else {
      assert.equal(typeof indicator.key, 'string');
      for (const attribute of indicator.attributes) fitsMisp(attribute.value, `${indicator.template}.${attribute.relation}`);
    }
  }
}

function checkResult(module: Honeypot, result: NormalizeResult, input: unknown): void {
  assert.equal(typeof result, 'object');
  assert.notEqual(result, null);
  if (isSkip(result)) assert.ok((SKIP_REASONS as readonly string[]).includes(result.skip), `skip reason ${String(result.skip)}`);
  else checkEvent(module, result, input);
}

function normalizeChecked(module: Honeypot, doc: Doc): void {
  checkResult(module, module.normalize(doc), doc);
}

/** A path this module's logs could have, or anything at all. */
function nativePath(module: Honeypot): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(fc.constantFrom(...module.logs.map((l) => l.path)), fc.constantFrom('', 'dnspot', 'ntpot', 'ssdpot', 'chargenpot', 'x'), fc.string()).map(([p, a, b]) => p.replace('*', a + b)),
    hostileString,
  );
}

function fromNativeChecked(module: Honeypot, record: Doc, path: string): void {
  const out = module.fromNative(record, path);
  if (out === undefined) return;
  assert.ok(typeof out === 'object' && out !== null && !Array.isArray(out), 'fromNative gives an object or undefined');
  // What fromNative gives, stamped as the file source does, must normalize safely too.
  const doc = { ...out, type: module.type };
  checkResult(module, module.normalize(doc), record);
}

// ---------------------------------------------------------------------------------------------------

describe('fuzzing honeypot normalizers with attacker-written documents', () => {
  it('has real fixture documents for every module', () => {
    for (const module of allHoneypots()) assert.ok((esDocs.get(module.type) ?? []).length > 0, `ES fixtures for ${module.type}`);
  });

  for (const module of allHoneypots()) {
    const docs = esDocs.get(module.type) ?? [];
    const natives = nativeRecords.get(module) ?? [];

    it(`${module.type}: normalize on arbitrary documents never throws, and its output is bounded`, () => {
      fc.assert(fc.property(arbitraryDoc(module), (doc) => normalizeChecked(module, doc)), { numRuns: NUM_RUNS });
    });

    it(`${module.type}: normalize on mutated real documents never throws, and its output is bounded`, () => {
      fc.assert(fc.property(mutatedDoc(module, docs), (doc) => normalizeChecked(module, doc)), { numRuns: NUM_RUNS });
    });

    it(`${module.type}: fromNative on arbitrary${natives.length > 0 ? ' and mutated native' : ''} records never throws`, () => {
      const records = natives.length > 0 ? fc.oneof(arbitraryDoc(module), mutatedDoc(module, natives)) : arbitraryDoc(module);
      fc.assert(fc.property(records, nativePath(module), (record, path) => fromNativeChecked(module, record, path)), { numRuns: NUM_RUNS });
    });
  }
});

// Counterexamples the fuzzing found, kept as plain regression tests.
describe('fuzzing regressions', () => {
  const base = { '@timestamp': '2025-03-14T09:26:53.589Z', src_ip: '198.51.100.23' };
  const module = (type: string): Honeypot => {
    const found = allHoneypots().find((m) => m.type === type);
    assert.ok(found, type);
    return found;
  };

  it('a protocol named like an Object.prototype member is not looked up on the prototype (ConPot, Cowrie)', () => {
    const conpot = module('ConPot').normalize({ ...base, data_type: 'constructor', dest_port: 502 });
    assert.ok(!isSkip(conpot));
    assert.equal(conpot.transport, 'tcp');
    const cowrie = module('Cowrie').normalize({ ...base, protocol: '__proto__' });
    assert.ok(!isSkip(cowrie));
    assert.equal(cowrie.destPort, undefined);
    normalizeChecked(module('ConPot'), { ...base, data_type: 'constructor', dest_port: 502 });
    normalizeChecked(module('Cowrie'), { ...base, protocol: 'constructor' });
  });

  it('a lone surrogate in protocol or session never reaches MISP (Cowrie, Honeypots, Beelzebub)', () => {
    normalizeChecked(module('Cowrie'), { ...base, eventid: 'cowrie.login.failed', username: 'root', protocol: '\ud800', session: '\udfff' });
    normalizeChecked(module('Honeypots'), { ...base, protocol: '\ud800', action: 'login', username: 'anonymous' });
    normalizeChecked(module('Beelzebub'), { ...base, session: '\ud800', protocol: 'ssh', username: 'root', password: 'toor' });
    normalizeChecked(module('Honeytrap'), { ...base, dest_port: 80, 'attack_connection.protocol': '\ud800' });
  });

  it('an oversized Cowrie protocol is dropped, not put into a cowrie object', () => {
    const event = module('Cowrie').normalize({ ...base, eventid: 'cowrie.login.failed', username: 'root', protocol: 'x'.repeat(70_000) });
    assert.ok(!isSkip(event));
    const observation = extractIndicators(event, new AttackerIpPolicy());
    assert.ok(!('skip' in observation));
    assert.deepEqual(observation.dropped, ['value_too_long']);
    assert.equal(observation.protocol, undefined);
    normalizeChecked(module('Cowrie'), { ...base, eventid: 'cowrie.login.failed', username: 'root', protocol: 'x'.repeat(70_000) });
  });
});
