import { serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrames, FrameError, FrameReader, MAX_FRAME_ELEMENTS, type FrameElements } from './frame-channel.ts';

function readAll(reader: FrameReader, chunks: readonly Buffer[]): unknown[][] {
  const batches: unknown[][] = [];
  for (const c of chunks) reader.push(c, (b) => batches.push(b));
  return batches;
}

/** A frame written by hand: u32 length, then the body. */
function rawFrame(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

describe('frame channel', () => {
  const packed = Buffer.from([0x52, 1, 2, 3]);
  const batch = [{ type: 'ping', seq: 1 }, packed, { type: 'done', id: 7, value: { png: new Uint8Array([9, 8]) } }];

  it('carries a batch: packed buffers as bytes, other messages as V8 serialises them', () => {
    const frames = encodeFrames(batch);
    expect(frames).toHaveLength(1);
    const [got] = readAll(new FrameReader(1024), frames);
    expect(got).toEqual([{ type: 'ping', seq: 1 }, packed, { type: 'done', id: 7, value: { png: new Uint8Array([9, 8]) } }]);
    expect(got![1]).toBeInstanceOf(Uint8Array);
  });

  it('reads frames however the stream cuts them, one byte at a time or several frames per chunk', () => {
    const bytes = Buffer.concat([...encodeFrames(batch), ...encodeFrames([]), ...encodeFrames([{ type: 'close' }])]);
    const oneByOne = readAll(
      new FrameReader(1024),
      [...bytes].map((b) => Buffer.from([b])),
    );
    const whole = readAll(new FrameReader(1024), [bytes]);
    expect(oneByOne).toEqual(whole);
    expect(whole.map((b) => b.length)).toEqual([3, 0, 1]);
  });

  it('splits a batch larger than 8 MiB into several frames, each a batch of its own', () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 1);
    const frames = encodeFrames([big, big, { type: 'ping', seq: 2 }]);
    expect(frames).toHaveLength(2);
    const got = readAll(new FrameReader(16 * 1024 * 1024), frames);
    expect(got.map((b) => b.length)).toEqual([1, 2]);
  });

  it('refuses a length prefix over its limit before holding the frame', () => {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(2 ** 31);
    expect(() => readAll(new FrameReader(1024), [head])).toThrow(FrameError);
    expect(() => readAll(new FrameReader(1024), [head])).toThrow(
      /a frame of 2147483648 bytes is over the channel's limit of 1024 bytes/,
    );
    // Cut inside the prefix: refused as soon as the prefix is whole.
    expect(() => readAll(new FrameReader(1024), [head.subarray(0, 2), head.subarray(2)])).toThrow(FrameError);
  });

  it('refuses bytes that are not elements: unknown kind, overrun, cut header, undecodable message', () => {
    const element = (kind: number, length: number, body: Buffer) => {
      const h = Buffer.alloc(5);
      h[0] = kind;
      h.writeUInt32LE(length, 1);
      return Buffer.concat([h, body]);
    };
    const read = (body: Buffer) => () => readAll(new FrameReader(1024), [rawFrame(body)]);
    expect(read(element(7, 1, Buffer.from([1])))).toThrow(/unknown element kind 7/);
    expect(read(element(0, 50, Buffer.from([1])))).toThrow(/an element of 50 bytes overruns its frame/);
    expect(read(Buffer.from([0, 1]))).toThrow(/ends inside an element header/);
    expect(read(element(1, 3, Buffer.from([0xff, 0x0f, 0x99])))).toThrow(/a message cannot be read/);
    const good = serialize({ type: 'ping' });
    expect(readAll(new FrameReader(1024), [rawFrame(element(1, good.length, good))])).toEqual([[{ type: 'ping' }]]);
  });

  it("refuses a serialised message over the reader's limit for one from its head, before decoding any of the frame", () => {
    const big = { type: 'log', msg: 'x'.repeat(2000) };
    const [frame] = encodeFrames([{ type: 'ping', seq: 1 }, big]);
    const seen: FrameElements[] = [];
    expect(() => new FrameReader(1 << 20, 1024).pushFrames(frame!, (f) => seen.push(f))).toThrow(
      /a message of \d+ bytes is over the channel's limit of 1024 bytes for one serialised message/,
    );
    expect(seen).toEqual([]);
    // Packed elements are raw bytes (they do not grow when read): only the frame's limit applies.
    expect(readAll(new FrameReader(1 << 20, 1024), encodeFrames([Buffer.alloc(4096, 0x52)]))[0]![0]).toHaveLength(4096);
    // Each element's size, as written, is told with it.
    new FrameReader(1 << 20).pushFrames(frame!, (f) => seen.push(f));
    const f = seen[0]!;
    f.next();
    expect(f.lastBytes).toBe(serialize({ type: 'ping', seq: 1 }).length);
    f.next();
    expect(f.lastBytes).toBe(serialize(big).length);
  });

  it("leaves out of a batch a message over the writer's limit for one, and says which", () => {
    const refused: [unknown, number][] = [];
    const big = { type: 'log', msg: 'x'.repeat(2000) };
    const frames = encodeFrames([{ type: 'ping', seq: 1 }, big, Buffer.alloc(4096), { type: 'pong', seq: 2 }], {
      maxMessageBytes: 1024,
      refused: (m, bytes) => refused.push([m, bytes]),
    });
    expect(refused).toEqual([[big, serialize(big).length]]);
    const [got] = readAll(new FrameReader(1 << 20, 1024), frames);
    expect(got!.map((m) => (m instanceof Uint8Array ? m.length : (m as { type: string }).type))).toEqual(['ping', 4096, 'pong']);
  });

  it(`writes at most ${MAX_FRAME_ELEMENTS} elements a frame; refuses a frame holding more before decoding any`, () => {
    const many = Array.from({ length: MAX_FRAME_ELEMENTS * 2 + 1 }, (_, i) => ({ type: 'ping', seq: i }));
    const frames = encodeFrames(many);
    expect(readAll(new FrameReader(1 << 20), frames).map((b) => b.length)).toEqual([MAX_FRAME_ELEMENTS, MAX_FRAME_ELEMENTS, 1]);
    // One frame of them all, written by hand: its elements, with one V8 cannot read at the end.
    const bad = Buffer.from([5, 0xff, 0x0f, 0x99, 1, 1]);
    const body = Buffer.concat([...frames.map((f) => f.subarray(4)), Buffer.from([1, bad.length, 0, 0, 0]), bad]);
    // Refused from its heads alone: the element V8 cannot read is never reached.
    expect(() => readAll(new FrameReader(1 << 20), [rawFrame(body)])).toThrow(
      `a frame holds more than ${MAX_FRAME_ELEMENTS} messages (the most a frame may carry)`,
    );
  });

  it("decodes a frame's elements one at a time, as they are asked for", () => {
    const frames: FrameElements[] = [];
    const [frame] = encodeFrames([
      { type: 'ping', seq: 1 },
      { type: 'ping', seq: 2 },
    ]);
    // The second element made unreadable by V8 (its version tag), its length and the frame's kept.
    const body = frame!.subarray(4);
    const second = body.indexOf(0xff, 6);
    frame![4 + second] = 0x01;
    new FrameReader(1024).pushFrames(frame!, (f) => frames.push(f));
    expect(frames).toHaveLength(1);
    const f = frames[0]!;
    expect(f.next()).toEqual({ type: 'ping', seq: 1 });
    expect(f.done).toBe(false);
    expect(() => f.next()).toThrow(/a message cannot be read/);
    expect(f.done).toBe(true);
  });

  it('property: any batches, cut anywhere, read back equal; any bytes at all give batches or a FrameError, nothing else', () => {
    const element = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.record({ type: fc.string(), id: fc.nat(), value: fc.jsonValue() }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(element, { maxLength: 8 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (batches, cuts) => {
          const bytes = Buffer.concat(batches.flatMap((b) => encodeFrames(b)));
          const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...at].map((from, i) => bytes.subarray(from, at[i] ?? bytes.length));
          expect(readAll(new FrameReader(1 << 20), chunks)).toEqual(batches);
        },
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (junk) => {
        try {
          readAll(new FrameReader(128), [Buffer.from(junk)]);
        } catch (e) {
          expect(e).toBeInstanceOf(FrameError);
        }
      }),
    );
  });
});
