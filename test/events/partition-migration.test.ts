import path from 'node:path';
import { connect } from '@insights/client';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, tempDir } from '../support/tmp.ts';

const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `m-${from + i}`,
    time: '2026-01-05T10:00:00Z',
    source: 'shard',
    type: 'tick',
    actor: `a${(from + i) % 10}`,
    payload: { seq: Math.floor((from + i) / 10) },
  }));

describe.skipIf(NO_NATS)('events - a handler that becomes partitioned', () => {
  let nats: NatsServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    nats = await startNatsServer();
    tmp = await tempDir();
  });
  afterAll(async () => {
    await nats.stop();
    await tmp.remove();
  });

  it('takes over where its old durable had acknowledged, and leaves no consumer behind to hold up hard realtime', async () => {
    const node = (split: boolean) =>
      startTestNode({
        id: 'mig',
        nats: nats.as('node'),
        dataDir: tmp.dir,
        defaultIsolation: 'inline',
        modules: [path.join(FIXTURE_MODULES, 'sharded')],
        events: { splitWithEmbeddedDb: split },
      });
    const handled = async (address: string) => {
      const mesh = await connect({ nodes: [address] });
      try {
        return ((await mesh.query['sharded.handled']!()) as { n: number }[]).reduce((s, d) => s + d.n, 0);
      } finally {
        await mesh.close();
      }
    };
    // Embedded database, keys not split: read through this node's own durable.
    const before = await node(false);
    await before.events.ingest(events(0, 300), { waitForHandlers: true, timeoutMs: 20_000 });
    expect(await handled(before.grpcAddress)).toBe(300);
    await before.close();

    const after = await node(true);
    try {
      await after.events.ingest(events(300, 200), { waitForHandlers: true, timeoutMs: 20_000 });
      // The 300 are not replayed into state that has them: the partitions handled the 200 new ones.
      expect(after.events.handlerStats()).toEqual([
        expect.objectContaining({ handler: 'h_sharded_by_actor_p*', processed: 200 }),
      ]);
      expect(await handled(after.grpcAddress)).toBe(500);
      const nc = await natsConnect(nats.connectOptions('admin'));
      const names: string[] = [];
      for await (const c of (await jetstreamManager(nc)).consumers.list('INSIGHTS_EVENTS')) names.push(c.name);
      await nc.close();
      expect(names.filter((n) => n.startsWith('h_sharded_by_actor')).sort()).toEqual(
        Array.from({ length: 8 }, (_, p) => `h_sharded_by_actor_p${p}`),
      );
    } finally {
      await after.close();
    }
  }, 60_000);
});
