import { describe, expect, it } from 'vitest';
import { BatchSource, ChannelInbox, MESSAGES_PER_TURN, type MessageSource } from './channel-inbox.ts';

/** An owner with room for `room` messages at a time; the test frees room. */
function owner(room: number) {
  const taken: unknown[] = [];
  const held: boolean[] = [];
  const errors: unknown[] = [];
  let free = room;
  const inbox = new ChannelInbox(
    (m) => {
      if (free === 0) return false;
      free--;
      taken.push(m);
      return true;
    },
    (h) => held.push(h),
    (e) => errors.push(e),
  );
  return {
    inbox,
    taken,
    held,
    errors,
    free: (n: number) => {
      free += n;
      inbox.resume();
    },
  };
}

/** A source that counts how many of its messages were read, to show they are read only when taken. */
function counted(n: number): MessageSource & { readonly read: number } {
  let read = 0;
  return {
    get done() {
      return read >= n;
    },
    next: () => read++,
    lastBytes: 0,
    get read() {
      return read;
    },
  };
}

describe('channel inbox', () => {
  it('delivers in order; a refused message waits first in line, with everything after it, until resume', () => {
    const o = owner(2);
    o.inbox.push(new BatchSource(['a', 'b', 'c']));
    o.inbox.push(new BatchSource(['d']));
    expect(o.taken).toEqual(['a', 'b']);
    expect(o.inbox.held).toBe(true);
    expect(o.held).toEqual([true]);
    o.inbox.push(new BatchSource(['e']));
    expect(o.taken).toEqual(['a', 'b']);
    o.free(1);
    expect(o.taken).toEqual(['a', 'b', 'c']);
    expect(o.held).toEqual([true, true]);
    o.free(10);
    expect(o.taken).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(o.held).toEqual([true, true, false]);
    expect(o.inbox.held).toBe(false);
  });

  it("reads a source's messages only as they are taken: a held frame is not decoded ahead", () => {
    const o = owner(3);
    const source = counted(100_000);
    o.inbox.push(source);
    // The three taken and the one refused: nothing more was built.
    expect(source.read).toBe(4);
    o.free(5);
    expect(source.read).toBe(9);
    expect(o.taken).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('resume without a refusal does nothing; a message the owner takes may resume from inside', () => {
    const taken: unknown[] = [];
    let free = 1;
    const inbox: ChannelInbox = new ChannelInbox(
      (m) => {
        if (free === 0) return false;
        free--;
        taken.push(m);
        if (m === 'a') {
          free = 1;
          inbox.resume(); // not held: ignored, and no second loop starts
        }
        return true;
      },
      () => undefined,
      () => undefined,
    );
    inbox.resume();
    inbox.push(new BatchSource(['a', 'b', 'c']));
    expect(taken).toEqual(['a', 'b']);
    expect(inbox.held).toBe(true);
  });

  it('a source that throws ends delivery: onError, nothing more', () => {
    const o = owner(10);
    let n = 0;
    o.inbox.push({
      get done() {
        return false;
      },
      next: () => {
        if (++n === 3) throw new Error('bad element');
        return n;
      },
      lastBytes: 0,
    });
    o.inbox.push(new BatchSource(['later']));
    expect(o.taken).toEqual([1, 2]);
    expect(o.errors.map((e) => (e as Error).message)).toEqual(['bad element']);
  });

  it('takes at most MESSAGES_PER_TURN messages in one turn of the event loop, the rest in the next ones, in order', async () => {
    const o = owner(10_000);
    const n = MESSAGES_PER_TURN * 3 + 5;
    const source = counted(n);
    o.inbox.push(source);
    // Only this turn's share is taken (and read) now; the channel is read on until a second read waits.
    expect(o.taken).toHaveLength(MESSAGES_PER_TURN);
    expect(source.read).toBe(MESSAGES_PER_TURN);
    expect(o.held).toEqual([]);
    o.inbox.push(new BatchSource(['after']));
    expect(o.taken).toHaveLength(MESSAGES_PER_TURN);
    expect(o.held).toEqual([true]);
    await new Promise((r) => setImmediate(r));
    expect(o.taken).toHaveLength(MESSAGES_PER_TURN * 2);
    while (o.taken.length < n + 1) await new Promise((r) => setImmediate(r));
    expect(o.taken).toEqual([...Array.from({ length: n }, (_, i) => i), 'after']);
    expect(o.held.at(-1)).toBe(false);
  });
});
