// HPFEEDS wire protocol (hpfeeds3): frame encoding and a streaming decoder.
// A frame is `length` (big-endian int32, counting the whole frame) · `opcode` (1 byte) · body.
// Frames arrive split across or packed into TCP chunks; the decoder buffers and slices them, and rejects
// what the reference broker would reject (unknown opcode, a length outside the per-opcode limits).
import { createHash } from 'node:crypto';

export const OP_ERROR = 0;
export const OP_INFO = 1;
export const OP_AUTH = 2;
export const OP_PUBLISH = 3;
export const OP_SUBSCRIBE = 4;
export const OP_UNSUBSCRIBE = 5;

const HEADER = 5;
const MAX_BUF = 1024 ** 2;
/** Largest `length` per opcode (hpfeeds/protocol.py SIZES); anything else is a protocol error. */
const MAX_LENGTH: Readonly<Record<number, number>> = {
  [OP_ERROR]: HEADER + MAX_BUF,
  [OP_INFO]: HEADER + 256 + 20,
  [OP_AUTH]: HEADER + 256 + 20,
  [OP_PUBLISH]: HEADER + MAX_BUF,
  [OP_SUBSCRIBE]: MAX_BUF,
  [OP_UNSUBSCRIBE]: MAX_BUF,
};

export type Frame =
  | { readonly op: typeof OP_ERROR; readonly message: string }
  | { readonly op: typeof OP_INFO; readonly name: string; readonly nonce: Buffer }
  | { readonly op: typeof OP_AUTH; readonly ident: string; readonly digest: Buffer }
  | { readonly op: typeof OP_PUBLISH; readonly ident: string; readonly channel: string; readonly payload: Buffer }
  | { readonly op: typeof OP_SUBSCRIBE | typeof OP_UNSUBSCRIBE; readonly ident: string; readonly channel: string };

export class ProtocolError extends Error {
  /** Whole frames the decoder read before the bad bytes (they are valid and must not be lost). */
  readonly frames: readonly Frame[];

  constructor(message: string, frames: readonly Frame[] = []) {
    super(message);
    this.name = 'ProtocolError';
    this.frames = frames;
  }
}

function str8(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 255) throw new ProtocolError(`"${text.slice(0, 40)}…" is longer than 255 bytes`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function frame(op: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const length = HEADER + body.length;
  if (length > MAX_LENGTH[op]!) throw new ProtocolError(`a ${length}-byte frame exceeds the protocol limit of ${MAX_LENGTH[op]}`);
  const header = Buffer.alloc(HEADER);
  header.writeInt32BE(length, 0);
  header.writeUInt8(op, 4);
  return Buffer.concat([header, body]);
}

/** SHA-1(nonce ‖ secret), the AUTH proof. */
export function authDigest(nonce: Buffer, secret: string): Buffer {
  return createHash('sha1').update(nonce).update(secret, 'utf8').digest();
}

export const encode = {
  info: (name: string, nonce: Buffer) => frame(OP_INFO, str8(name), nonce),
  auth: (nonce: Buffer, ident: string, secret: string) => frame(OP_AUTH, str8(ident), authDigest(nonce, secret)),
  subscribe: (ident: string, channel: string) => frame(OP_SUBSCRIBE, str8(ident), Buffer.from(channel, 'utf8')),
  unsubscribe: (ident: string, channel: string) => frame(OP_UNSUBSCRIBE, str8(ident), Buffer.from(channel, 'utf8')),
  publish: (ident: string, channel: string, payload: Buffer | string) => frame(OP_PUBLISH, str8(ident), str8(channel), Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8')),
  error: (message: string) => frame(OP_ERROR, Buffer.from(message, 'utf8')),
};

function readStr8(body: Buffer, offset: number): [string, number] {
  if (offset >= body.length) throw new ProtocolError('frame ends inside a string length');
  const length = body[offset]!;
  const end = offset + 1 + length;
  if (end > body.length) throw new ProtocolError('frame ends inside a string');
  return [body.toString('utf8', offset + 1, end), end];
}

function parseBody(op: number, body: Buffer): Frame {
  switch (op) {
    case OP_ERROR:
      return { op, message: body.toString('utf8') };
    case OP_INFO: {
      const [name, end] = readStr8(body, 0);
      return { op, name, nonce: Buffer.from(body.subarray(end)) };
    }
    case OP_AUTH: {
      const [ident, end] = readStr8(body, 0);
      return { op, ident, digest: Buffer.from(body.subarray(end)) };
    }
    case OP_PUBLISH: {
      const [ident, afterIdent] = readStr8(body, 0);
      const [channel, afterChannel] = readStr8(body, afterIdent);
      return { op, ident, channel, payload: Buffer.from(body.subarray(afterChannel)) };
    }
    case OP_SUBSCRIBE:
    case OP_UNSUBSCRIBE: {
      const [ident, end] = readStr8(body, 0);
      return { op, ident, channel: body.toString('utf8', end) };
    }
    default:
      throw new ProtocolError(`unknown opcode ${op}`);
  }
}

/**
 * Streaming decoder: `push` chunks as they come, get whole frames back. After a ProtocolError the stream
 * is unusable (its framing is lost): close the connection, after handling the error's `frames` (whole frames
 * that arrived in the same chunk before the bad bytes).
 */
export class FrameDecoder {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: Frame[] = [];
    try {
      return this.#drain(frames);
    } catch (error) {
      throw error instanceof ProtocolError ? new ProtocolError(error.message, frames) : error;
    }
  }

  #drain(frames: Frame[]): Frame[] {
    for (;;) {
      if (this.#buffer.length < HEADER) return frames;
      const length = this.#buffer.readInt32BE(0);
      const op = this.#buffer.readUInt8(4);
      const limit = MAX_LENGTH[op];
      if (limit === undefined) throw new ProtocolError(`unknown opcode ${op}`);
      if (length < HEADER || length > limit) throw new ProtocolError(`frame length ${length} out of bounds for opcode ${op} (${HEADER}..${limit})`);
      if (this.#buffer.length < length) return frames;
      frames.push(parseBody(op, this.#buffer.subarray(HEADER, length)));
      this.#buffer = this.#buffer.subarray(length);
    }
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.#buffer.length;
  }
}
