import { describe, expect, it } from 'vitest';
import { failure, nodeWithHostile, query, sandboxHost, sleep, waitFor, whileProbingGood } from '../support.ts';

const MIB = 1024 * 1024;
const FLOOD = 200_000;

/** Runs `during` while sampling the node's RSS (this process) every 25 ms; returns its result and the peak growth. */
async function rssGrowth<T>(during: () => Promise<T>): Promise<{ result: T; growthMb: number; heapGrowthMb: number }> {
  const before = process.memoryUsage();
  let peak = before.rss;
  let heapPeak = before.heapUsed;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
      await sleep(25);
    }
  })();
  try {
    return { result: await during(), growthMb: (peak - before.rss) / MIB, heapGrowthMb: (heapPeak - before.heapUsed) / MIB };
  } finally {
    sampling = false;
    await sampler;
  }
}

/**
 * A module flooding the node with small valid requests (request-flood): however it sends them, the
 * node holds at most MAX_MODULE_REQUESTS_IN_FLIGHT of them (request-window.ts) and stops reading
 * its channel meanwhile, so its memory does not follow the flood, the neighbour keeps answering,
 * and the flooder is served at the node's pace, or killed with the reason for a frame no sandbox
 * runtime writes.
 */
describe('sandbox hostile - a flood of module requests', () => {
  const h = nodeWithHostile('request-flood');

  it.each([
    ['api', FLOOD],
    ['frames', FLOOD / 2],
  ] as const)(
    "hostile - db requests in a tight loop (%s, %i): served at the node's pace, the node's memory bounded, the neighbour answering",
    async (how, n) => {
      const { result, growthMb, heapGrowthMb } = await rssGrowth(() =>
        whileProbingGood(h.mesh, `request flood (${how})`, () => query(h.node, 'request-flood.flood', { n, how }, 60_000)),
      );
      console.log(
        `[request flood] ${JSON.stringify({ how, growthMb: Math.round(growthMb), heapGrowthMb: Math.round(heapGrowthMb) })}`,
      );
      expect(result).toBe(n);
      // Mostly garbage of the 200,000 answered requests (after a full GC the heap is back where it was).
      expect(growthMb).toBeLessThan(256);
      expect(sandboxHost(h.node, 'request-flood').status().restarts).toBe(0);
    },
    60_000,
  );

  it('hostile - one frame of 200,000 requests: the sandbox is killed with the reason before any is decoded', async () => {
    const {
      result: e,
      growthMb,
      heapGrowthMb,
    } = await rssGrowth(() =>
      whileProbingGood(h.mesh, 'giant frame of requests', () =>
        failure(query(h.node, 'request-flood.flood', { n: FLOOD, how: 'giant-frame' }, 30_000)),
      ),
    );
    console.log(
      `[request flood] ${JSON.stringify({ how: 'giant-frame', growthMb: Math.round(growthMb), heapGrowthMb: Math.round(heapGrowthMb) })}`,
    );
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toMatch(/broke the sandbox protocol: a frame holds more than 1024 messages/);
    expect(growthMb).toBeLessThan(96);
    await waitFor('the flooder to restart', async () => (await query(h.node, 'request-flood.ping').catch(() => '')) === 'pong');
    expect(await query(h.node, 'good.ping')).toBe('pong');
  });

  it('hostile - 20,000 requests for a 16 KiB document, answers never read: the node stops at a bound, the sandbox is killed', async () => {
    const host = sandboxHost(h.node, 'request-flood');
    const restarts = host.status().restarts;
    const {
      result: e,
      growthMb,
      heapGrowthMb,
    } = await rssGrowth(() =>
      whileProbingGood(h.mesh, 'requests never read', () =>
        failure(query(h.node, 'request-flood.flood', { n: 20_000, how: 'unread' }, 3000)),
      ),
    );
    console.log(
      `[request flood] ${JSON.stringify({ how: 'unread', growthMb: Math.round(growthMb), heapGrowthMb: Math.round(heapGrowthMb) })}`,
    );
    expect(e.code).toBe('DEADLINE_EXCEEDED');
    // 20,000 answers of 16 KiB would be 320 MiB queued towards it (measured before the bound: 655 MB).
    expect(growthMb).toBeLessThan(128);
    await waitFor('the flooder to be killed and restart', () => host.status().restarts > restarts);
    expect(host.status().lastError).toMatch(/stopped responding/);
    await waitFor(
      'the flooder to answer again',
      async () => (await query(h.node, 'request-flood.ping').catch(() => '')) === 'pong',
    );
  });
});
