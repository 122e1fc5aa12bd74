import { describe, expect, it } from 'vitest';
import { failure, nodeWithHostile, query, waitFor, whileProbingGood } from '../support.ts';

/**
 * A module writing its own bytes on the channel to the node (fd 3 of its process): the node reads
 * them as hostile input (frame-channel.ts). A frame over the limit or one it cannot read kills that
 * sandbox with the reason, before the node holds the bytes; the neighbour keeps answering.
 */
describe('sandbox hostile - forged channel frames', () => {
  const h = nodeWithHostile('channel-forger');

  it.each([
    ['huge', /broke the sandbox protocol: a frame of 4294967295 bytes is over the channel's limit of \d+ bytes/],
    ['garbage', /broke the sandbox protocol: unknown element kind 9/],
  ])('hostile - a %s frame: the sandbox is killed with the reason, restarts, the node keeps serving', async (how, reason) => {
    const heapBefore = process.memoryUsage().heapUsed;
    const e = await whileProbingGood(h.mesh, `${how} frame`, () =>
      failure(query(h.node, 'channel-forger.forge', { how }, 10_000)),
    );
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toMatch(reason);
    // Nothing of the claimed 4 GiB was held.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await waitFor('the forger to restart', async () => (await query(h.node, 'channel-forger.ping').catch(() => '')) === 'pong');
    expect(await query(h.node, 'good.ping')).toBe('pong');
  });
});
