import { readFileSync } from 'node:fs';
import { MAX_MESSAGE_BYTES, MODULE_LIMIT_DEFAULTS, maxFrameBytes } from '@insights/sandbox';
import { describe, expect, it } from 'vitest';
import {
  failure,
  nodeWithHostile,
  query,
  sandboxHost,
  sleep,
  spawnedNodeWithHostile,
  waitFor,
  whileProbingGood,
} from '../support.ts';

const MIB = 1024 * 1024;
/** The frame limit of a module with the default maxResultBytes (32 MiB). */
const FRAME_LIMIT = maxFrameBytes(MODULE_LIMIT_DEFAULTS.DEFAULT_MAX_RESULT_BYTES);

/** A process's peak resident memory (VmHWM), MiB. */
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
/** The heap of the node process below: what the bounded requests fit in, and a frame's worth of them decoded at once does not. */
const NODE_HEAP_MB = 640;

/**
 * How much one message can make the node read and build (channel-limits.ts): frames are bounded
 * by the module's result limit, serialised messages by MAX_MESSAGE_BYTES, and the decoded requests
 * the node holds by REQUEST_BYTES_IN_FLIGHT; a module past them by its own bytes is killed with
 * the reason, an honest one gets an error naming the limit and lives on, and large results,
 * views and files still reach their callers.
 */
describe('sandbox hostile - the size of one message', () => {
  const h = nodeWithHostile('big-messages');

  it.each([
    ['frame', FRAME_LIMIT + 1, `a frame of ${FRAME_LIMIT + 1} bytes is over the channel's limit of ${FRAME_LIMIT} bytes`],
    [
      'message',
      MAX_MESSAGE_BYTES + 1,
      `a message of ${MAX_MESSAGE_BYTES + 1} bytes is over the channel's limit of ${MAX_MESSAGE_BYTES} bytes for one serialised message`,
    ],
  ] as const)(
    'hostile - a %s just over its limit (%i bytes): the sandbox is killed with the reason, the node does not hold it',
    async (how, bytes, reason) => {
      const before = process.memoryUsage();
      const e = await whileProbingGood(h.mesh, `${how} over its limit`, () =>
        failure(query(h.node, 'big-messages.forge', { how, bytes }, 10_000)),
      );
      expect(e.code).toBe('UNAVAILABLE');
      expect(e.message).toContain(`broke the sandbox protocol: ${reason}`);
      const after = process.memoryUsage();
      // The 32 MiB frame was refused from its prefix: its bytes were never gathered.
      if (how === 'frame') expect((after.arrayBuffers - before.arrayBuffers) / MIB).toBeLessThan(16);
      await waitFor('it to restart', async () => (await query(h.node, 'big-messages.ping').catch(() => '')) === 'pong');
    },
    30_000,
  );

  it("honest - a result near maxResultBytes, a 20 MiB view and a 40 MiB file (over any frame's limit) reach the node", async () => {
    const result = await query(h.node, 'big-messages.result', { mb: 30 }, 30_000);
    expect(typeof result === 'string' && result.length).toBe(30 * MIB);
    const view = await h.node.dispatcher.call({
      kind: 'view',
      name: 'big-messages.png',
      args: { mb: 20 },
      deadline: Date.now() + 30_000,
    });
    expect(view.type === 'png' && view.data.length).toBe(20 * MIB);
    expect(await query(h.node, 'big-messages.writeFile', { name: 'big.bin', mb: 40 }, 30_000)).toBe(40);
    const file = await sandboxHost(h.node, 'big-messages').readFile('big.bin');
    expect(file.length).toBe(40 * MIB);
    expect(file[0] === 7 && file[file.length - 1] === 7).toBe(true);
  }, 60_000);

  it('honest - an ingest batch whose envelopes are over the limit for one answer is normalised in parts', async () => {
    // 24 envelopes of 300 KiB: 7 MiB in one answer, so the node asks for halves (then quarters).
    const raws = Array.from({ length: 24 }, (_, i) => ({ fat: 300, i }));
    const outcomes = await sandboxHost(h.node, 'big-messages').normalise(raws);
    expect(outcomes).toHaveLength(24);
    expect(outcomes.every((o) => o.type === 'ok' && o.envelopes.length === 1)).toBe(true);
  }, 60_000);

  it('honest - a 40 MiB document is refused in the sandbox with RESOURCE_EXHAUSTED naming the limit; the sandbox lives on', async () => {
    const host = sandboxHost(h.node, 'big-messages');
    const pid = host.pid;
    expect(await query(h.node, 'big-messages.insert', { mb: 40 }, 30_000)).toEqual({
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(
        new RegExp(
          `^ctx\\.db insertOne on docs is \\d+ bytes serialised, over the sandbox channel's limit of ${MAX_MESSAGE_BYTES} bytes for one message`,
        ),
      ) as unknown,
    });
    expect(await query(h.node, 'big-messages.insert', { mb: 1 }, 30_000)).toBe('stored');
    expect(host.pid).toBe(pid);
  }, 60_000);
});

/**
 * Frames of many mid-size requests that each grow some 30 times when decoded, against a real node
 * process with a 640 MB heap: the node holds REQUEST_BYTES_IN_FLIGHT of them decoded at once (8 MiB,
 * about 270 MB of heap), not a frame's worth (30 of them, about 1 GB: the node ran out of memory).
 */
describe('sandbox hostile - requests that grow when decoded', () => {
  const h = spawnedNodeWithHostile('big-messages', {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${NODE_HEAP_MB}`,
  });

  it('hostile - 4 frames of 30 requests of 1 MiB, 350,000 objects each: served a few at a time, the node stays up', async () => {
    const pid = h.node.proc.pid!;
    const before = peakRssMb(pid);
    // The neighbour is probed but not held to a latency: decoding is the node's CPU, which is not bounded.
    const probes: number[] = [];
    let failed = 0;
    let flooding = true;
    const probing = (async () => {
      while (flooding) {
        const t = performance.now();
        await h.mesh.query['good.ping']!({}, { timeoutMs: 30_000 }).then(
          () => probes.push(performance.now() - t),
          () => failed++,
        );
        await sleep(20);
      }
    })();
    const bytes = await h.mesh.query['big-messages.expand']!({ frames: 4, perFrame: 30, bytes: MIB }, { timeoutMs: 60_000 });
    flooding = false;
    await probing;
    expect(bytes).toBeGreaterThan(MIB - 64);
    // Answered, or refused, at the node's pace: the node and the module are still there.
    expect(await h.mesh.query['big-messages.ping']!({}, { timeoutMs: 30_000 })).toBe('pong');
    expect(await h.mesh.query['good.ping']!({}, { timeoutMs: 30_000 })).toBe('pong');
    const sorted = probes.sort((x, y) => x - y);
    const line = {
      how: 'expanding',
      nodePeakRssMb: Math.round(peakRssMb(pid)),
      before: Math.round(before),
      probes: probes.length,
      probeP50Ms: Math.round(sorted[Math.floor(sorted.length / 2)] ?? NaN),
      probeMaxMs: Math.round(sorted.at(-1) ?? NaN),
      probeFailures: failed,
    };
    console.log(`[message size] ${JSON.stringify(line)}`);
    expect(h.node.proc.exitCode).toBeNull();
    expect(h.node.stderr()).not.toMatch(/heap out of memory/);
  }, 120_000);
});
