import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.ts';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Pushes 1 and 2 now and 3 in the next turn (as the node starts a large frame's calls), then lets all settle. */
async function twoTurns(outbox: Outbox<number>): Promise<void> {
  outbox.push(1);
  outbox.push(2);
  await turn();
  outbox.push(3);
  for (let i = 0; i < 4; i++) await turn();
}

describe('outbox', () => {
  it('posts what one turn queued as one batch, at the end of that turn', async () => {
    const posted: number[][] = [];
    await twoTurns(new Outbox((b) => posted.push(b)));
    expect(posted).toEqual([[1, 2], [3]]);
  });

  it('posts a full batch at once, and what follows in its own', async () => {
    const posted: number[][] = [];
    const outbox = new Outbox<number>((b) => posted.push(b));
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
