/**
 * The process sandbox's channel in bytes: each batch is one length-prefixed frame on a pipe of
 * its own, instead of a message on Node's IPC channel. Node's IPC (advanced serialization) runs
 * every message through its own framing, a serializer object and per-message JSON-free but
 * still generic bookkeeping on both sides; here the packed buffers of calls and results (the hot
 * path, packed.ts) are written and read as they are, and only the other messages (names, cancels,
 * logs, db operations) are v8-serialized, one by one.
 *
 * Frame: u32 body length, then per batch element: u8 kind (0: a v8-serialized message, 1: bytes
 * as they are), u32 length, payload. Little-endian. The host reads frames from an untrusted
 * sandbox: a malformed one is reported, never an out-of-bounds read or a thrown error.
 */
import type { Writable } from 'node:stream';
import { deserialize, serialize } from 'node:v8';

/** The stdio index of the channel in a process sandbox (3 stays Node's IPC channel, for the kernel probe and `disconnect`). */
export const FRAME_CHANNEL_FD = 4;
/** The argument that tells the sandbox runtime its channel is framed, on FRAME_CHANNEL_FD. */
export const FRAME_CHANNEL_ARG = `--insights-frames-fd=${FRAME_CHANNEL_FD}`;
/**
 * No frame is larger: a length past it is a broken or hostile sandbox, refused before buffering
 * a byte of it. Far above any real batch (a result is at most maxResultBytes, 16 MiB by default).
 */
export const MAX_FRAME_BYTES = 2 ** 30;

const MESSAGE = 0;
const BYTES = 1;
const ELEMENT_HEAD = 1 + 4;
const EMPTY = Buffer.alloc(0);
/** Byte elements at least this long are written as their own chunk rather than copied into the frame. */
const OWN_CHUNK = 64 * 1024;

/**
 * Encodes one batch as the chunks of one frame, to be written together (cork/uncork: one
 * writev). Throws, having produced nothing, if a message cannot be serialized.
 */
export function encodeFrame(batch: readonly unknown[]): Buffer[] {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const m of batch) {
    const bytes = m instanceof Uint8Array ? m : serialize(m);
    parts.push(bytes);
    size += ELEMENT_HEAD + bytes.length;
  }
  if (size > MAX_FRAME_BYTES) throw new RangeError(`a batch of ${size} bytes is more than a frame holds (${MAX_FRAME_BYTES})`);
  const chunks: Buffer[] = [];
  let small = 4;
  for (const p of parts) small += ELEMENT_HEAD + (p.length >= OWN_CHUNK ? 0 : p.length);
  let buf = Buffer.allocUnsafe(small);
  buf.writeUInt32LE(size, 0);
  let at = 4;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    buf[at] = batch[i] instanceof Uint8Array ? BYTES : MESSAGE;
    buf.writeUInt32LE(p.length, at + 1);
    at += ELEMENT_HEAD;
    if (p.length < OWN_CHUNK) {
      buf.set(p, at);
      at += p.length;
      continue;
    }
    // A large element goes as it is, between the frame's copied parts.
    chunks.push(buf.subarray(0, at), Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    buf = buf.subarray(at);
    at = 0;
  }
  if (at > 0) chunks.push(buf.subarray(0, at));
  return chunks;
}

/** Writes one batch as one frame (one writev); `done` runs once it is handed to the OS. Throws, writing nothing, if a message cannot be serialized. */
export function writeFrame(to: Writable, batch: readonly unknown[], done?: () => void): void {
  const chunks = encodeFrame(batch);
  to.cork();
  for (let i = 0; i < chunks.length; i++) to.write(chunks[i]!, i === chunks.length - 1 ? done : undefined);
  to.uncork();
}

/**
 * Reads frames from a byte stream. Every frame that a chunk completes is handed over in one
 * `onBatches` call, so a burst of frames costs one wake-up of the code above. Byte elements are
 * views of what was read (no copy); messages are deserialized.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The body length of the frame being read, once its header is complete. */
  #need = -1;
  #broken = false;
  readonly #onBatches: (batches: unknown[][]) => void;
  readonly #onError: (reason: string) => void;

  constructor(onBatches: (batches: unknown[][]) => void, onError: (reason: string) => void) {
    this.#onBatches = onBatches;
    this.#onError = onError;
  }

  push(chunk: Buffer): void {
    if (this.#broken) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const batches: unknown[][] = [];
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 4) break;
        const need = this.#take(4).readUInt32LE(0);
        if (need > MAX_FRAME_BYTES) return this.#fail(`a frame of ${need} bytes (at most ${MAX_FRAME_BYTES})`);
        this.#need = need;
      }
      if (this.#buffered < this.#need) break;
      const batch = decodeBody(this.#take(this.#need));
      this.#need = -1;
      if (batch === undefined) return this.#fail('a malformed frame');
      batches.push(batch);
    }
    if (batches.length > 0) this.#onBatches(batches);
  }

  #fail(reason: string): void {
    this.#broken = true;
    this.#chunks = [];
    this.#onError(reason);
  }

  /** The next `n` buffered bytes: a view when one chunk holds them, else one copy. */
  #take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.#chunks[0]!;
    this.#buffered -= n;
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    return out;
  }
}

function decodeBody(body: Buffer): unknown[] | undefined {
  const batch: unknown[] = [];
  let at = 0;
  while (at < body.length) {
    if (at + ELEMENT_HEAD > body.length) return undefined;
    const kind = body[at];
    const end = at + ELEMENT_HEAD + body.readUInt32LE(at + 1);
    if (end > body.length || (kind !== MESSAGE && kind !== BYTES)) return undefined;
    const payload = body.subarray(at + ELEMENT_HEAD, end);
    if (kind === BYTES) batch.push(payload);
    else
      try {
        batch.push(deserialize(payload));
      } catch {
        return undefined;
      }
    at = end;
  }
  return batch;
}
