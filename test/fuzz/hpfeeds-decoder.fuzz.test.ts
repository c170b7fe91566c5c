// Property-based fuzzing of the HPFEEDS path: the frame decoder fed arbitrary bytes in arbitrary chunks
// fails only with ProtocolError and never holds more than one maximal frame; valid frames round-trip
// whatever the chunking; and payload parsing of arbitrary bytes (on any channel) never throws and yields
// well-typed attacks whose MISP indicators are bounded.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SKIP_REASONS, type AttackEvent } from '../../src/attack-event.js';
import { AttackerIpPolicy } from '../../src/attacker-ip-policy.js';
import { honeypotFor } from '../../src/honeypots/registry.js';
import { DROP_REASONS, extractIndicators, MAX_VALUE_BYTES } from '../../src/indicators.js';
import { ewsType, parsePayload, pythonStringList, type PayloadFormat } from '../../src/sources/hpfeeds/payloads.js';
import {
  authDigest,
  encode,
  FrameDecoder,
  OP_AUTH,
  OP_ERROR,
  OP_INFO,
  OP_PUBLISH,
  OP_SUBSCRIBE,
  OP_UNSUBSCRIBE,
  ProtocolError,
  type Frame,
} from '../../src/sources/hpfeeds/protocol.js';

const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const HEADER = 5;
/** The largest frame the decoder accepts (PUBLISH/ERROR: header + 1 MiB), from hpfeeds' protocol.py. */
const MAX_FRAME = HEADER + 1024 ** 2;
const LIMITS: Readonly<Record<number, number>> = {
  [OP_ERROR]: MAX_FRAME,
  [OP_INFO]: HEADER + 256 + 20,
  [OP_AUTH]: HEADER + 256 + 20,
  [OP_PUBLISH]: MAX_FRAME,
  [OP_SUBSCRIBE]: 1024 ** 2,
  [OP_UNSUBSCRIBE]: 1024 ** 2,
};
const RECEIVED = Date.parse('2026-11-28T12:00:00Z');
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];
const FORMATS: readonly PayloadFormat[] = ['cowrie.sessions', 'dionaea.connections', 'dionaea.capture', 'dionaea.dcerpcrequests', 'ewsposter.json', 'unknown'];

// ---------------------------------------------------------------------------------------------------
// Chunking.

/** Splits bytes at arbitrary points (empty chunks included). */
function chunked(bytes: Uint8Array, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(Buffer.from(bytes.subarray(start, point)));
    start = point;
  }
  chunks.push(Buffer.from(bytes.subarray(start)));
  return chunks;
}

const cuts = fc.array(fc.nat(), { maxLength: 20 });

interface Fed {
  readonly frames: Frame[];
  readonly error?: unknown;
}

/** Feeds chunks until the first error; checks the buffering bound after every push. */
function feed(chunks: readonly Buffer[]): Fed {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  for (const chunk of chunks) {
    try {
      frames.push(...decoder.push(chunk));
    } catch (error) {
      // Frames before the bad bytes come with the error (the client still handles them).
      if (error instanceof ProtocolError) frames.push(...error.frames);
      return { frames, error };
    }
    assert.ok(decoder.pending < MAX_FRAME, `${decoder.pending} bytes held (max ${MAX_FRAME - 1})`);
  }
  return { frames };
}

function checkFrame(frame: Frame): void {
  switch (frame.op) {
    case OP_ERROR:
      assert.equal(typeof frame.message, 'string');
      break;
    case OP_INFO:
      assert.equal(typeof frame.name, 'string');
      assert.ok(Buffer.isBuffer(frame.nonce));
      break;
    case OP_AUTH:
      assert.equal(typeof frame.ident, 'string');
      assert.ok(Buffer.isBuffer(frame.digest));
      break;
    case OP_PUBLISH:
      assert.ok(typeof frame.ident === 'string' && typeof frame.channel === 'string' && Buffer.isBuffer(frame.payload));
      break;
    case OP_SUBSCRIBE:
    case OP_UNSUBSCRIBE:
      assert.ok(typeof frame.ident === 'string' && typeof frame.channel === 'string');
      break;
    default:
      assert.fail(`unexpected frame ${JSON.stringify(frame)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Frame generators.

/** Up to 255 UTF-8 bytes whatever the code points (lone surrogates become 3-byte U+FFFD). */
const str8 = fc.string({ unit: 'binary', maxLength: 63 });
const anyString = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom(...PROTOTYPE_KEYS, 'cowrie.sessions', 'dionaea.capture', 'mwbinary.dionaea.sensorunique'));
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

interface Spec {
  readonly wire: Buffer;
  readonly expected: Frame;
}

const frameSpec: fc.Arbitrary<Spec> = fc.oneof(
  fc.tuple(str8, bytes(20)).map(([name, nonce]): Spec => ({ wire: encode.info(name, nonce), expected: { op: OP_INFO, name: name.toWellFormed(), nonce } })),
  fc.tuple(bytes(20), str8, anyString).map(([nonce, ident, secret]): Spec => ({
    wire: encode.auth(nonce, ident, secret),
    expected: { op: OP_AUTH, ident: ident.toWellFormed(), digest: authDigest(nonce, secret) },
  })),
  fc.tuple(str8, str8, fc.oneof(bytes(4096), fc.string({ unit: 'binary' }))).map(([ident, channel, payload]): Spec => ({
    wire: encode.publish(ident, channel, payload),
    expected: { op: OP_PUBLISH, ident: ident.toWellFormed(), channel: channel.toWellFormed(), payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8') },
  })),
  fc.tuple(str8, anyString, fc.boolean()).map(([ident, channel, sub]): Spec => ({
    wire: sub ? encode.subscribe(ident, channel) : encode.unsubscribe(ident, channel),
    expected: { op: sub ? OP_SUBSCRIBE : OP_UNSUBSCRIBE, ident: ident.toWellFormed(), channel: channel.toWellFormed() },
  })),
  anyString.map((message): Spec => ({ wire: encode.error(message), expected: { op: OP_ERROR, message: message.toWellFormed() } })),
);

/** A header that looks right (known opcode, length near its limits), followed by arbitrary bytes. */
const plausibleHeader = fc
  .tuple(fc.integer({ min: 0, max: 7 }), fc.oneof(fc.integer({ min: -2, max: 300 }), fc.integer({ min: 1024 ** 2 - 2, max: MAX_FRAME + 2 }), fc.integer()))
  .map(([op, length]) => {
    const header = Buffer.alloc(HEADER);
    header.writeInt32BE(length, 0);
    header.writeUInt8(op, 4);
    return header;
  });

/** A stream made of valid frames, plausible headers and noise, with some bytes overwritten. */
const messyStream = fc
  .tuple(
    fc.array(fc.oneof(frameSpec.map((s) => s.wire), plausibleHeader, bytes(64)), { maxLength: 8 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  )
  .map(([parts, flips]) => {
    const stream = Buffer.concat(parts);
    for (const [at, value] of flips) if (stream.length > 0) stream[at % stream.length] = value;
    return stream;
  });

// ---------------------------------------------------------------------------------------------------
// Payload checks.

function fitsMisp(value: unknown, what: string): void {
  assert.equal(typeof value, 'string', `${what} is a string`);
  const text = value as string;
  assert.ok(text.isWellFormed(), `${what} is well-formed UTF-16`);
  assert.ok(Buffer.byteLength(text, 'utf8') <= MAX_VALUE_BYTES, `${what} is at most ${MAX_VALUE_BYTES} bytes`);
}

const isOptionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';
const isPort = (v: unknown): boolean => v === undefined || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535);

function checkAttack(event: AttackEvent): void {
  assert.ok(honeypotFor(event.honeypot) !== undefined, `a registered honeypot type (${String(event.honeypot)})`);
  assert.ok(Number.isFinite(event.time), 'a finite time');
  assert.doesNotThrow(() => new Date(event.time).toISOString(), 'a valid date');
  assert.ok(typeof event.srcIp === 'string' && event.srcIp !== '');
  assert.ok(isPort(event.srcPort) && isPort(event.destPort));
  for (const key of ['transport', 'protocol', 'session', 'clientVersion'] as const) assert.ok(isOptionalString(event[key]), key);
  for (const key of ['sensorIps', 'commands'] as const) {
    const list = event[key];
    assert.ok(list === undefined || list.every((v) => typeof v === 'string'), key);
  }
  for (const c of event.credentials ?? []) assert.ok(isOptionalString(c.username) && isOptionalString(c.password));
  for (const f of event.files ?? []) assert.ok(isOptionalString(f.url) && isOptionalString(f.md5) && isOptionalString(f.sha256));
  for (const r of event.requests ?? []) assert.ok(isOptionalString(r.path));

  const observation = extractIndicators(event, new AttackerIpPolicy());
  if ('skip' in observation) {
    assert.ok((SKIP_REASONS as readonly string[]).includes(observation.skip));
    return;
  }
  assert.notEqual(isIP(observation.srcIp), 0);
  for (const reason of observation.dropped) assert.ok((DROP_REASONS as readonly string[]).includes(reason));
  for (const key of ['port', 'protocol', 'session'] as const) if (observation[key] !== undefined) fitsMisp(observation[key], `observation ${key}`);
  for (const indicator of observation.indicators) {
    if (indicator.kind === 'attribute') fitsMisp(indicator.value, indicator.type);
    else for (const attribute of indicator.attributes) fitsMisp(attribute.value, `${indicator.template}.${attribute.relation}`);
  }
}

function parseChecked(payload: Buffer): void {
  const result = parsePayload(payload, RECEIVED);
  assert.ok(FORMATS.includes(result.format), `format ${String(result.format)}`);
  if ('skip' in result) assert.ok((SKIP_REASONS as readonly string[]).includes(result.skip), `skip ${String(result.skip)}`);
  else for (const attack of result.attacks) checkAttack(attack);
}

// Real payloads, mutated: a field replaced by (or added as) a hostile JSON value.
const PAYLOAD_DIR = new URL('../../../shared/fixtures/hpfeeds/', import.meta.url);
const realPayloads: Record<string, unknown>[] = readdirSync(PAYLOAD_DIR)
  .filter((name) => name.endsWith('.jsonl'))
  .flatMap((name) => readFileSync(new URL(name, PAYLOAD_DIR), 'utf8').split('\n').filter((l) => l.trim() !== ''))
  .map((line) => JSON.parse(line) as Record<string, unknown>);

const hostileString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) }),
  fc.string({ unit: fc.constantFrom('\ud800', '\udfff', 'a', "'", '"', '[', ']', '\\') }),
  fc.tuple(fc.constantFrom('A', '\ud800', 'é', '😀', "['x', "), fc.integer({ min: 1_000, max: 100_000 })).map(([p, n]) => p.repeat(Math.ceil(n / p.length))),
  fc.ipV4(),
  fc.ipV6(),
  fc.constantFrom(...PROTOTYPE_KEYS, 'cowrie-community-01', 'constructor-community-01', '2024-05-01 10:15:42.123456 GMT +0000', '9999-99-99 99:99:99', '0000-01-01T00:00:00Z'),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 5 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: fc.array(hostileString, { maxLength: 4 }), weight: 2 },
  { arbitrary: fc.dictionary(fc.constantFrom('#text', '@id', '@port', '@tz', '@type', '@meaning', '@protocol', ...PROTOTYPE_KEYS), hostileString, { maxKeys: 4 }), weight: 2 },
  { arbitrary: fc.constantFrom(null, 0, -1, 65536, 1e308, true), weight: 1 },
);

function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length > 5 || typeof value !== 'object' || value === null) return out;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    out.push([...prefix, key]);
    pathsOf(v, [...prefix, key], out);
  }
  return out;
}

function setAt(root: unknown, path: readonly (string | number)[], value: unknown): void {
  let current: unknown = root;
  for (const part of path.slice(0, -1)) current = (current as Record<string | number, unknown>)[part];
  Object.defineProperty(current, path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
}

const mutatedPayload = fc
  .tuple(fc.constantFrom(...realPayloads), fc.array(fc.tuple(fc.nat(), hostileValue), { minLength: 1, maxLength: 5 }))
  .map(([original, mutations]) => {
    const payload = structuredClone(original);
    for (const [pick, value] of mutations) {
      const paths = pathsOf(payload);
      if (paths.length > 0) setAt(payload, paths[pick % paths.length]!, value);
    }
    return Buffer.from(JSON.stringify(payload), 'utf8');
  });

const anyPayload = fc.oneof(
  bytes(2048),
  fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.concat([Buffer.from('{'), Buffer.from(a)])),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.concat([Buffer.from('<Alert'), Buffer.from(a)])),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '', 'utf8')),
  fc.object().map((o) => Buffer.from(JSON.stringify(o), 'utf8')),
  mutatedPayload,
  mutatedPayload.map((b) => b.subarray(0, Math.floor(b.length / 2))),
);

// ---------------------------------------------------------------------------------------------------

describe('fuzzing the HPFEEDS frame decoder', () => {
  it('arbitrary bytes in arbitrary chunks: frames, or a ProtocolError, and never more than one frame buffered', { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 4096 }), messyStream), cuts, (stream, at) => {
        const { frames, error } = feed(chunked(stream, at));
        if (error !== undefined) assert.ok(error instanceof ProtocolError, `only ProtocolError, got ${String(error)}`);
        for (const frame of frames) checkFrame(frame);
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('the same bytes decode to the same frames (or the same error) however they are chunked', () => {
    fc.assert(
      fc.property(messyStream, cuts, (stream, at) => {
        const whole = feed([Buffer.from(stream)]);
        const split = feed(chunked(stream, at));
        assert.equal(split.error === undefined, whole.error === undefined);
        // Every whole frame before the bad bytes is delivered, whatever the chunking (the error carries them).
        assert.deepEqual(split.frames, whole.frames);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('valid frames round-trip exactly whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(frameSpec, { minLength: 1, maxLength: 10 }), cuts, (specs, at) => {
        const { frames, error } = feed(chunked(Buffer.concat(specs.map((s) => s.wire)), at));
        assert.equal(error, undefined);
        assert.deepEqual(frames, specs.map((s) => s.expected));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('encode either makes a frame within the protocol limits or throws ProtocolError', () => {
    const longString = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', minLength: 60, maxLength: 200 }));
    fc.assert(
      fc.property(longString, longString, bytes(40), (a, b, nonce) => {
        for (const make of [() => encode.info(a, nonce), () => encode.auth(nonce, a, b), () => encode.publish(a, b, nonce), () => encode.subscribe(a, b), () => encode.unsubscribe(a, b)]) {
          let wire: Buffer;
          try {
            wire = make();
          } catch (error) {
            assert.ok(error instanceof ProtocolError, `only ProtocolError, got ${String(error)}`);
            continue;
          }
          const op = wire.readUInt8(4);
          assert.equal(wire.readInt32BE(0), wire.length);
          assert.ok(wire.length <= LIMITS[op]!);
          const { frames, error } = feed([wire]);
          assert.equal(error, undefined);
          assert.equal(frames.length, 1);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('holds a maximal frame piecewise, and refuses one byte more before buffering its body', () => {
    const payload = Buffer.alloc(MAX_FRAME - HEADER - 2, 0x41);
    const wire = encode.publish('', '', payload);
    assert.equal(wire.length, MAX_FRAME);
    assert.throws(() => encode.publish('', '', Buffer.concat([payload, Buffer.from('!')])), ProtocolError);
    const { frames, error } = feed(chunked(wire, [1, 4, 5, 6, 65_536, MAX_FRAME - 1]));
    assert.equal(error, undefined);
    assert.deepEqual(frames, [{ op: OP_PUBLISH, ident: '', channel: '', payload }]);
    const oversized = Buffer.alloc(HEADER);
    oversized.writeInt32BE(MAX_FRAME + 1, 0);
    oversized.writeUInt8(OP_PUBLISH, 4);
    const decoder = new FrameDecoder();
    assert.throws(() => decoder.push(oversized), ProtocolError);
  });
});

describe('fuzzing HPFEEDS payload parsing', () => {
  it('arbitrary payloads never throw; attacks are well-typed and their indicators bounded', () => {
    fc.assert(fc.property(anyPayload, (payload) => parseChecked(payload)), { numRuns: NUM_RUNS * 2 });
  });

  it('payloads published on arbitrary channels, delivered through the decoder, parse the same', () => {
    fc.assert(
      fc.property(str8, fc.oneof(str8, fc.constantFrom('cowrie.sessions', 'dionaea.capture', 'mwbinary.dionaea.sensorunique', ...PROTOTYPE_KEYS)), anyPayload, cuts, (ident, channel, payload, at) => {
        // A mutated payload can outgrow one frame (1 MiB): no publisher can send it, and encode says so.
        const frameSize = HEADER + 2 + Buffer.byteLength(ident.toWellFormed()) + Buffer.byteLength(channel.toWellFormed()) + payload.length;
        if (frameSize > MAX_FRAME) {
          assert.throws(() => encode.publish(ident, channel, payload), ProtocolError);
          return;
        }
        const { frames, error } = feed(chunked(encode.publish(ident, channel, payload), at));
        assert.equal(error, undefined);
        const [frame] = frames;
        assert.ok(frame !== undefined && frame.op === OP_PUBLISH);
        assert.equal(frame.channel, channel.toWellFormed());
        parseChecked(frame.payload);
        assert.deepEqual(parsePayload(frame.payload, RECEIVED), parsePayload(payload, RECEIVED));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('ewsType gives a registered honeypot type or nothing; pythonStringList gives strings', () => {
    const word = fc.oneof(fc.string(), fc.constantFrom(...PROTOTYPE_KEYS, 'cowrie', 'citrix', 'gopot', 'rdpy', 'dionaea'));
    const id = fc.option(fc.tuple(word, fc.string()).map(([w, rest]) => `${w}-${rest}`), { nil: undefined });
    const description = fc.option(fc.array(word, { maxLength: 5 }).map((ws) => ws.join(' ')), { nil: undefined });
    fc.assert(
      fc.property(id, description, hostileString, (analyzer, text, list) => {
        const type = ewsType(analyzer, text);
        assert.ok(type === undefined || honeypotFor(type) !== undefined, `ewsType gave ${String(type)}`);
        assert.ok(pythonStringList(list).every((s) => typeof s === 'string'));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// Counterexamples the fuzzing found, kept as plain regression tests.
describe('HPFEEDS fuzzing regressions', () => {
  it('a payload one byte too large for a frame is refused by encode, not sent', () => {
    const payload = Buffer.alloc(MAX_FRAME - HEADER - 2 - 'cowrie.sessions'.length + 1, 0x20);
    assert.throws(() => encode.publish('', 'cowrie.sessions', payload), ProtocolError);
  });

  it('ewsType does not find Object.prototype members ("constructor", "__proto__")', () => {
    assert.equal(ewsType(undefined, 'constructor'), undefined);
    assert.equal(ewsType('constructor-community-01', undefined), undefined);
    assert.equal(ewsType('__proto__-community-01', 'constructor SSH Honeypot Cowrie'), 'Cowrie');
  });

  it('an ewsposter alert whose description starts with "constructor" still finds its honeypot', () => {
    const alert = {
      Alert: {
        Analyzer: { '@id': 'constructor-community-01' },
        CreateTime: { '@tz': '+0000', '#text': '2025-03-14 09:26:53' },
        Source: { '@port': '51234', '@protocol': 'tcp', '#text': '198.51.100.23' },
        Target: { '@port': '22', '#text': '203.0.113.10' },
        Request: { '@type': 'description', '#text': 'constructor SSH Honeypot Cowrie' },
      },
    };
    const result = parsePayload(Buffer.from(JSON.stringify(alert)), RECEIVED);
    assert.ok('attacks' in result, JSON.stringify(result));
    assert.equal(result.attacks[0]?.honeypot, 'Cowrie');
  });
});
