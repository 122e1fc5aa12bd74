import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.ts';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Pushes `a` now and `b` in the next turn (as the node starts a large frame's calls), then lets both settle. */
async function twoTurns(outbox: Outbox<number>): Promise<void> {
  outbox.push(1);
  outbox.push(2);
  await turn();
  outbox.push(3);
  for (let i = 0; i < 4; i++) await turn();
}

describe('outbox', () => {
  it('posts what one turn queued as one batch', async () => {
    const posted: number[][] = [];
    await twoTurns(new Outbox((b) => posted.push(b)));
    expect(posted).toEqual([[1, 2], [3]]);
  });

  it('with extraTurn, posts what two consecutive turns queued as one batch', async () => {
    const posted: number[][] = [];
    await twoTurns(new Outbox((b) => posted.push(b), { extraTurn: true }));
    expect(posted).toEqual([[1, 2, 3]]);
  });

  it('with extraTurn, an urgent message (an awaited db answer) goes at the end of its turn, with what else was queued', async () => {
    const posted: number[][] = [];
    const outbox = new Outbox<number>((b) => posted.push(b), { extraTurn: true });
    outbox.push(1);
    outbox.push(2, true);
    await turn();
    expect(posted).toEqual([[1, 2]]);
    outbox.push(3);
    await turn();
    expect(posted).toEqual([[1, 2]]);
  });

  it('posts a full batch at once, and what follows in its own', async () => {
    const posted: number[][] = [];
    const outbox = new Outbox<number>((b) => posted.push(b), { extraTurn: true });
    for (let i = 0; i < 70; i++) outbox.push(i);
    expect(posted.map((b) => b.length)).toEqual([64]);
    for (let i = 0; i < 4; i++) await turn();
    expect(posted.map((b) => b.length)).toEqual([64, 6]);
  });

  it('packs the queue as it posts, and drops it once cleared', async () => {
    const posted: string[][] = [];
    const outbox = new Outbox<number, string>((b) => posted.push(b), { pack: (q) => [q.join('+')] });
    outbox.push(1);
    outbox.push(2);
    await turn();
    outbox.push(3);
    outbox.clear();
    await turn();
    expect(posted).toEqual([['1+2']]);
  });
});
