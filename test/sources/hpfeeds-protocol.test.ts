import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { authDigest, encode, FrameDecoder, OP_ERROR, OP_INFO, OP_PUBLISH, OP_SUBSCRIBE, ProtocolError } from '../../src/sources/hpfeeds/protocol.js';

interface Vector { hex: string; [key: string]: unknown }
const frames = JSON.parse(readFileSync(new URL('../../../shared/fixtures/hpfeeds/frames.json', import.meta.url), 'utf8')) as Record<string, Vector> & {
  upstream_test_vector: { nonce_utf8: string; ident: string; secret: string; auth_hex: string };
  limits: Record<string, number>;
  invalid: Record<string, string>;
};
const hex = (h: string) => Buffer.from(h, 'hex');

describe('HPFEEDS framing', () => {
  it('encodes INFO, AUTH, SUBSCRIBE, PUBLISH and ERROR byte for byte as the reference', () => {
    const nonce = hex(String(frames['info']!['nonce_hex']));
    assert.equal(encode.info('hpfeeds', nonce).toString('hex'), frames['info']!.hex);
    assert.equal(encode.auth(nonce, 'tpot2misp', 'example-secret').toString('hex'), frames['auth']!.hex);
    assert.equal(encode.subscribe('tpot2misp', 'cowrie.sessions').toString('hex'), frames['subscribe']!.hex);
    assert.equal(encode.unsubscribe('tpot2misp', 'cowrie.sessions').toString('hex'), frames['unsubscribe']!.hex);
    assert.equal(encode.publish('sensor01', 'cowrie.sessions', '{}').toString('hex'), frames['publish_small']!.hex);
    assert.equal(encode.error('Authentication failed for tpot2misp').toString('hex'), frames['error_auth']!.hex);
    const upstream = frames.upstream_test_vector;
    assert.equal(encode.auth(Buffer.from(upstream.nonce_utf8), upstream.ident, upstream.secret).toString('hex'), upstream.auth_hex);
    assert.equal(authDigest(nonce, 'example-secret').toString('hex'), frames['auth']!['sha1_hex']);
  });

  it('decodes frames split at every byte and packed together', () => {
    const stream = Buffer.concat([hex(frames['info']!.hex), hex(frames['publish_cowrie']!.hex), hex(frames['error_sub']!.hex), hex(frames['publish_small']!.hex)]);
    const whole = new FrameDecoder().push(stream);
    assert.deepEqual(whole.map((f) => f.op), [OP_INFO, OP_PUBLISH, OP_ERROR, OP_PUBLISH]);
    const decoder = new FrameDecoder();
    const oneByOne = [...stream].flatMap((byte) => decoder.push(Buffer.from([byte])));
    assert.deepEqual(oneByOne, whole);
    const publish = whole[1]!;
    assert.ok(publish.op === OP_PUBLISH);
    assert.equal(publish.ident, 'sensor01');
    assert.equal(publish.channel, 'cowrie.sessions');
    assert.equal(publish.payload.toString('utf8'), frames['publish_cowrie']!['payload_utf8']);
    const error = whole[2]!;
    assert.ok(error.op === OP_ERROR && error.message === 'Authkey not allowed to sub here. ident=tpot2misp, chan=dionaea.capture');
  });

  it('accepts a PUBLISH of exactly the maximum length and rejects one byte more', () => {
    const max = frames.limits['max_length_publish_or_error']!;
    const payload = Buffer.alloc(max - 5 - 2 - 1 - 1, 0x61);
    const atLimit = encode.publish('a', 'b', payload);
    assert.equal(atLimit.length, max);
    const [decoded] = new FrameDecoder().push(atLimit);
    assert.ok(decoded?.op === OP_PUBLISH && decoded.payload.length === payload.length);
    assert.throws(() => encode.publish('a', 'b', Buffer.concat([payload, Buffer.from('x')])), ProtocolError);
    const tooLong = Buffer.from(atLimit);
    tooLong.writeInt32BE(max + 1, 0);
    assert.throws(() => new FrameDecoder().push(tooLong), ProtocolError);
  });

  it('hands back the whole frames that share a chunk with garbage, with the error', () => {
    const good = encode.publish('tpot', 'cowrie.sessions', Buffer.from('{"peerIP":"198.51.100.23"}'));
    const garbage = Buffer.from([0, 0, 0, 9, 0x7f, 1, 2, 3, 4]);
    const error = (() => {
      try {
        new FrameDecoder().push(Buffer.concat([good, good, garbage]));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.frames.length, 2);
    assert.ok(error.frames.every((f) => f.op === OP_PUBLISH && f.payload.toString() === '{"peerIP":"198.51.100.23"}'));
  });

  it('rejects unknown opcodes, oversized headers, lengths under 5 and negative lengths as soon as the header arrives', () => {
    for (const [name, h] of Object.entries(frames.invalid)) {
      assert.throws(() => new FrameDecoder().push(hex(h)), ProtocolError, name);
    }
    // A 2 GB length prefix is refused without waiting for (or buffering) 2 GB.
    const huge = Buffer.from([0x7f, 0xff, 0xff, 0xff, OP_PUBLISH]);
    assert.throws(() => new FrameDecoder().push(huge), /out of bounds/);
  });

  it('rejects bodies whose strings run past the frame', () => {
    const broken = Buffer.from([0, 0, 0, 8, OP_SUBSCRIBE, 200, 0x61, 0x62]);
    assert.throws(() => new FrameDecoder().push(broken), /ends inside a string/);
  });
});
