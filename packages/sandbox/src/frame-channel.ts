/**
 * Batches between a host and its process sandbox as length-prefixed binary frames on a plain
 * socket (stdio fd 3), instead of Node's IPC channel. Node's IPC serialises every message with
 * V8's serializer, reads with recvmsg and emits each message a tick later: measured here as a
 * ping-pong of one 600-byte batch, it answered 8-12k batches/s at 40-69 µs of the sender's CPU
 * per batch, against 24-28k batches/s at 16-19 µs on a plain socket with a length prefix.
 *
 * A frame is one batch: u32 length of the rest, then its elements, each u8 kind, u32 length,
 * bytes. Kind 0 is a packed buffer as is (packed.ts: runs of calls or results, the hot path);
 * kind 1 is any other message in V8's serialisation (what `serialization: 'advanced'` used, so
 * Uint8Array stays binary). Little-endian throughout.
 *
 * The host reads what a sandbox writes as hostile input: a frame longer than the reader's limit,
 * with more than MAX_FRAME_ELEMENTS elements, an unknown kind, an element that overruns its frame
 * or a serialised message longer than the reader's limit for one (it grows when decoded:
 * channel-limits.ts) is a FrameError before any of its elements is read, and the host kills the sandbox. A
 * frame's elements are then decoded one at a time as its reader asks (FrameElements), so a frame
 * of many small messages never becomes that many objects at once; an element V8 cannot
 * deserialise is a FrameError when reached (the elements before it were delivered).
 */
import type { Writable } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import { SPLIT_BYTES } from './channel-limits.ts';

/** The channel's fd in a sandbox process: stdio index 3, inherited through sh, prlimit and bwrap. */
export const CHANNEL_FD = 3;

const PACKED = 0;
const SERIALISED = 1;
const FRAME_HEAD = 4;
const ELEMENT_HEAD = 5;
/**
 * The most elements a frame may hold; a batch with more goes as several frames. Both sides' outboxes
 * post at most 64 messages a batch (outbox.ts), so a frame over this was written by hand.
 */
export const MAX_FRAME_ELEMENTS = 1024;

/** The channel's bytes cannot be read: the sandbox (or whatever wrote them) broke the protocol. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/**
 * What a writer may not send (the sandbox's side: the node would refuse it): a message that
 * serialises to more than `maxMessageBytes` is left out of the batch and handed to `refused`.
 */
export interface MessageLimit {
  readonly maxMessageBytes: number;
  refused(message: unknown, bytes: number): void;
}

/**
 * Encodes a batch as frames (one, unless it is larger than SPLIT_BYTES: a batch whose elements add
 * up to more goes as several frames, each still one batch), ready to write.
 */
export function encodeFrames(batch: readonly unknown[], limit?: MessageLimit): Buffer[] {
  const frames: Buffer[] = [];
  let bodies: Uint8Array[] = [];
  let packed: boolean[] = [];
  let bytes = 0;
  /** Told once the whole batch is encoded: a batch that then fails to encode is posted again message by message (postSafely). */
  const refused: [unknown, number][] = [];
  const close = () => {
    frames.push(frame(bodies, packed, bytes));
    bodies = [];
    packed = [];
    bytes = 0;
  };
  for (const m of batch) {
    const isPacked = m instanceof Uint8Array;
    const body = isPacked ? m : serialize(m);
    if (!isPacked && limit !== undefined && body.length > limit.maxMessageBytes) {
      refused.push([m, body.length]);
      continue;
    }
    if (bytes > 0 && (bytes + ELEMENT_HEAD + body.length > SPLIT_BYTES || bodies.length === MAX_FRAME_ELEMENTS)) close();
    bodies.push(body);
    packed.push(isPacked);
    bytes += ELEMENT_HEAD + body.length;
  }
  if (bytes > 0 || frames.length === 0) close();
  for (const [m, length] of refused) limit!.refused(m, length);
  return frames;
}

/** Writes a batch's frames to `to`, all encoded before the first write; `done` after the last. */
export function writeFrames(to: Writable, batch: readonly unknown[], done?: () => void, limit?: MessageLimit): void {
  const frames = encodeFrames(batch, limit);
  frames.forEach((f, i) => to.write(f, i === frames.length - 1 ? done : undefined));
}

/** One frame in one allocation: its length, then each element's kind, length and bytes. */
function frame(bodies: readonly Uint8Array[], packed: readonly boolean[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEAD + bytes);
  out.writeUInt32LE(bytes, 0);
  let at = FRAME_HEAD;
  bodies.forEach((body, i) => {
    out[at] = packed[i] ? PACKED : SERIALISED;
    out.writeUInt32LE(body.length, at + 1);
    out.set(body, at + ELEMENT_HEAD);
    at += ELEMENT_HEAD + body.length;
  });
  return out;
}

/**
 * Reads frames from a stream's chunks, however they are cut. A packed element is a view of the
 * chunk it arrived in (no copy); a frame cut across chunks is joined once, when complete.
 */
export class FrameReader {
  /** Chunks of an incomplete frame. */
  #held: Buffer[] = [];
  #heldBytes = 0;

  /**
   * @param maxFrameBytes the largest frame accepted (its length prefix is checked before anything is held).
   * @param maxMessageBytes the largest serialised message accepted (checked with the frame's heads).
   */
  constructor(
    readonly maxFrameBytes: number,
    readonly maxMessageBytes = Infinity,
  ) {}

  /** Hands each complete frame's batch to `onBatch`, decoded whole; throws FrameError on bytes that break the format. */
  push(chunk: Buffer, onBatch: (batch: unknown[]) => void): void {
    this.pushFrames(chunk, (frame) => onBatch(frame.all()));
  }

  /**
   * Hands each complete frame to `onFrame`, its elements checked but not yet decoded; throws
   * FrameError on bytes that break the format.
   */
  pushFrames(chunk: Buffer, onFrame: (frame: FrameElements) => void): void {
    let buf = chunk;
    if (this.#heldBytes > 0) {
      this.#held.push(chunk);
      this.#heldBytes += chunk.length;
      const need = this.#needed();
      if (need === undefined || this.#heldBytes < need) return;
      buf = Buffer.concat(this.#held, this.#heldBytes);
      this.#held = [];
      this.#heldBytes = 0;
    }
    let at = 0;
    while (buf.length - at >= FRAME_HEAD) {
      const length = this.#checked(buf.readUInt32LE(at));
      if (buf.length - at - FRAME_HEAD < length) break;
      onFrame(new FrameElements(buf.subarray(at + FRAME_HEAD, at + FRAME_HEAD + length), this.maxMessageBytes));
      at += FRAME_HEAD + length;
    }
    if (at < buf.length) {
      const rest = buf.subarray(at);
      this.#held = [rest];
      this.#heldBytes = rest.length;
      if (rest.length >= FRAME_HEAD) this.#checked(rest.readUInt32LE(0));
    }
  }

  /** Bytes the held frame needs in all, once its length prefix is here. */
  #needed(): number | undefined {
    if (this.#heldBytes < FRAME_HEAD) return undefined;
    const first = this.#held[0]!;
    const head = first.length >= FRAME_HEAD ? first : Buffer.concat(this.#held, this.#heldBytes);
    return FRAME_HEAD + this.#checked(head.readUInt32LE(0));
  }

  #checked(length: number): number {
    if (length > this.maxFrameBytes)
      throw new FrameError(`a frame of ${length} bytes is over the channel's limit of ${this.maxFrameBytes} bytes`);
    return length;
  }
}

/**
 * One frame's elements: checked whole when made (kinds, lengths, count), decoded one at a time by
 * `next()`. Packed elements are views of the frame's bytes (no copy).
 */
export class FrameElements {
  readonly #body: Buffer;
  #at = 0;
  /** Elements not yet read. */
  #left: number;
  /** Bytes of the element `next()` returned last, as written (what the node accounts for it). */
  lastBytes = 0;

  /**
   * @throws FrameError when the body is not a sequence of at most MAX_FRAME_ELEMENTS known
   *   elements, its serialised ones at most `maxMessageBytes` each.
   */
  constructor(body: Buffer, maxMessageBytes = Infinity) {
    this.#body = body;
    let count = 0;
    let at = 0;
    while (at < body.length) {
      if (body.length - at < ELEMENT_HEAD) throw new FrameError('a frame ends inside an element header');
      const kind = body[at]!;
      if (kind !== PACKED && kind !== SERIALISED) throw new FrameError(`unknown element kind ${kind}`);
      const length = body.readUInt32LE(at + 1);
      if (body.length - at - ELEMENT_HEAD < length) throw new FrameError(`an element of ${length} bytes overruns its frame`);
      if (kind === SERIALISED && length > maxMessageBytes)
        throw new FrameError(
          `a message of ${length} bytes is over the channel's limit of ${maxMessageBytes} bytes for one serialised message`,
        );
      if (++count > MAX_FRAME_ELEMENTS)
        throw new FrameError(`a frame holds more than ${MAX_FRAME_ELEMENTS} messages (the most a frame may carry)`);
      at += ELEMENT_HEAD + length;
    }
    this.#left = count;
  }

  /** True once every element has been read. */
  get done(): boolean {
    return this.#left === 0;
  }

  /** The next element (call only while not `done`); throws FrameError if V8 cannot read it. */
  next(): unknown {
    const body = this.#body;
    const start = this.#at + ELEMENT_HEAD;
    const end = start + body.readUInt32LE(this.#at + 1);
    const kind = body[this.#at];
    this.lastBytes = end - start;
    this.#at = end;
    this.#left--;
    const bytes = body.subarray(start, end);
    return kind === PACKED ? bytes : deserialized(bytes);
  }

  /** Every element not yet read, decoded. */
  all(): unknown[] {
    const batch: unknown[] = [];
    while (!this.done) batch.push(this.next());
    return batch;
  }
}

function deserialized(bytes: Buffer): unknown {
  try {
    return deserialize(bytes);
  } catch (e) {
    throw new FrameError(`a message cannot be read: ${(e as Error).message}`);
  }
}
