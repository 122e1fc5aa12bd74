import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { unfinishedHandlers, waitForHandlers, type MeshView } from './wait-for-handlers.ts';

const consumer = (name: string, description: string, ackFloor: number, pending = 1): ConsumerInfo =>
  ({
    name,
    config: { description },
    ack_floor: { stream_seq: ackFloor },
    num_pending: pending,
    num_ack_pending: 0,
  }) as unknown as ConsumerInfo;

describe('unfinishedHandlers (hard realtime)', () => {
  const consumers = [
    consumer('h_c_count__a', 'insights handler c.count (node a)', 100),
    consumer('h_c_count__gone', 'insights handler c.count (node gone)', 10),
    consumer('h_s_sum', 'insights handler s.sum', 90),
    consumer('h_p_part_p0', 'insights handler p.part partition 0/2', 100),
  ];

  it('waits for consumers behind the last event, not for those of nodes that left', () => {
    const view: MeshView = { live: new Set(['a']), handlers: [] };
    expect(unfinishedHandlers(consumers, 100, view)).toEqual(['s.sum']);
    expect(unfinishedHandlers(consumers, 90, view)).toEqual([]);
  });

  it('before the registry is read, every consumer counts', () => {
    expect(unfinishedHandlers(consumers, 100, undefined)).toEqual(['c.count', 's.sum']);
  });

  it('a handler a live node advertises but has no consumer for yet is waited for', () => {
    const view: MeshView = {
      live: new Set(['a', 'b']),
      handlers: [
        { node: 'a', label: 'c.count' },
        { node: 'b', label: 'c.count' }, // b's own consumer does not exist yet
        { node: 'b', label: 's.sum' }, // shared: the one consumer serves b too
        { node: 'b', label: 'p.part' },
      ],
    };
    expect(unfinishedHandlers(consumers, 90, view)).toEqual(['c.count (node b: no consumer yet)']);
  });

  it('a view still being read (the node follows the mesh only when asked) is waited for, not taken as an empty mesh', async () => {
    const done = [consumer('h_s_sum', 'insights handler s.sum', 100, 0)];
    const jsm = {
      consumers: {
        list: async function* () {
          yield* done;
        },
      },
    } as unknown as JetStreamManager;
    let read!: () => void;
    const reading = new Promise<void>((r) => (read = r));
    const full: MeshView = { live: new Set(['a', 'b']), handlers: [{ node: 'b', label: 'c.count' }] };
    let settled = false;
    const provider = () => (settled ? full : { live: new Set<string>(), handlers: [], reading });
    const waited = waitForHandlers(jsm, 'S', 100, Date.now() + 300, provider);
    // Read after the consumers were first listed: an early return would have happened by then.
    setTimeout(() => ((settled = true), read()), 50);
    // The view read meanwhile shows a handler with no consumer yet: not done, whatever the empty view said.
    await expect(waited).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: expect.stringMatching(/c\.count/) });
  });
});
