import path from 'node:path';
import { connect } from '@insights/client';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';

describe.skipIf(NO_NATS)('events - a poison event in a partition', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(() => nats.stop());

  it('is retried in place (its key waits, others flow), then dead-lettered; the key goes on in order', async () => {
    const node = await startTestNode({
      id: 'poison-shard',
      nats: nats.as('node'),
      defaultIsolation: 'inline',
      modules: [path.join(FIXTURE_MODULES, 'sharded-poison')],
      events: { splitWithEmbeddedDb: true },
    });
    const mesh = await connect({ nodes: [node.grpcAddress] });
    try {
      const events = ['ada', 'bob'].flatMap((actor) =>
        Array.from({ length: 4 }, (_, seq) => ({
          id: `${actor}-${seq}`,
          time: '2026-01-05T10:00:00Z',
          source: 'poison-shard',
          type: 'tick',
          actor,
          payload: { seq, poison: actor === 'ada' && seq === 1 },
        })),
      );
      await node.events.ingest(events, { waitForHandlers: true, timeoutMs: 20_000 });
      const attempts = Object.fromEntries(
        ((await mesh.query['sharded-poison.attempts']!()) as { _id: string; seqs: number[] }[]).map((d) => [d._id, d.seqs]),
      );
      // Two attempts at the poison, nothing of ada's overtaking it; bob untouched.
      expect(attempts).toEqual({ ada: [0, 1, 1, 2, 3], bob: [0, 1, 2, 3] });
      const nc = await natsConnect(nats.connectOptions('admin'));
      const dlq = await (await jetstreamManager(nc)).streams.info('INSIGHTS_DLQ');
      await nc.close();
      expect(dlq.state.messages).toBe(1);
    } finally {
      await mesh.close();
      await node.stop();
    }
  }, 30_000);
});
