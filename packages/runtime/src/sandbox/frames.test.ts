import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from './frames.ts';

function reader() {
  const batches: unknown[][] = [];
  const wakeUps: number[] = [];
  const errors: string[] = [];
  const r = new FrameReader(
    (b) => {
      wakeUps.push(b.length);
      batches.push(...b);
    },
    (e) => errors.push(e),
  );
  return { r, batches, wakeUps, errors };
}

const frame = (batch: unknown[]) => Buffer.concat(encodeFrame(batch));

describe('sandbox frames', () => {
  it('round-trips messages (with binary fields) and byte elements in order', () => {
    const bytes = Buffer.from('R\u0001\u0002');
    const batch = [{ type: 'ping', seq: 1 }, bytes, { type: 'done', id: 2, value: new Uint8Array([1, 2, 3]) }];
    const { r, batches, errors } = reader();
    r.push(frame(batch));
    expect(errors).toEqual([]);
    expect(batches).toHaveLength(1);
    const [ping, got, done] = batches[0]!;
    expect(ping).toEqual({ type: 'ping', seq: 1 });
    expect(Buffer.from(got as Uint8Array).equals(bytes)).toBe(true);
    expect(Buffer.from((done as { value: Uint8Array }).value)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('reassembles frames cut anywhere and hands every frame a chunk completes over at once', () => {
    const big = Buffer.alloc(200_000, 7);
    const all = Buffer.concat([frame([{ a: 1 }]), frame([big, { b: 2 }]), frame([])]);
    const { r, batches, wakeUps } = reader();
    for (let at = 0; at < all.length; at += 999) r.push(all.subarray(at, at + 999));
    expect(batches.map((b) => b.length)).toEqual([1, 2, 0]);
    expect(Buffer.from(batches[1]![0] as Uint8Array).equals(big)).toBe(true);

    const burst = reader();
    burst.r.push(Buffer.concat([frame([{ a: 1 }]), frame([{ a: 2 }]), frame([{ a: 3 }])]));
    expect(burst.wakeUps).toEqual([3]);
    expect(wakeUps.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('refuses a malformed frame or an oversized length, without throwing, and reads nothing after it', () => {
    for (const bad of [
      Buffer.from([5, 0, 0, 0, 9, 0, 0, 0, 0]), // unknown element kind
      Buffer.from([5, 0, 0, 0, 1, 200, 0, 0, 0]), // element longer than its frame
      Buffer.from([6, 0, 0, 0, 0, 1, 0, 0, 0, 0xff]), // not a serialized value
    ]) {
      const { r, batches, errors } = reader();
      expect(() => r.push(bad)).not.toThrow();
      r.push(frame([{ a: 1 }]));
      expect(errors).toEqual(['a malformed frame']);
      expect(batches).toEqual([]);
    }
    const head = Buffer.alloc(4);
    head.writeUInt32LE(MAX_FRAME_BYTES + 1);
    const { r, errors } = reader();
    r.push(head);
    expect(errors[0]).toContain(`at most ${MAX_FRAME_BYTES}`);
  });

  it('throws before producing anything for a message that cannot be serialized', () => {
    expect(() => encodeFrame([{ a: 1 }, { f: () => 1 }])).toThrow();
  });
});
