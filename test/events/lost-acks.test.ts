import { NodeConnection } from '@insights/client';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';

const tally = path.join(import.meta.dirname, '..', 'ops', 'fixtures', 'tally');
const DURABLE = 'h_tally_tally_all__lossy';

/**
 * An acknowledgement is a message nobody answers: while a stream's leader moves, acks are lost
 * and JetStream redelivers those events after the ack wait, long after the handler ran. Here the
 * NATS server refuses every ack of one consumer (a permission), so every event comes back again
 * and again; the node must recognise each as one it already handled.
 */
describe.skipIf(NO_NATS)('events - acknowledgements lost on the way to JetStream', () => {
  let nats: NatsServer;
  let node: TestNode;

  beforeAll(async () => {
    nats = await startNatsServer({
      auth: false,
      extraConfig: `authorization { users: [ { user: "node", password: "pw", permissions: {
        publish: { allow: [">"], deny: ["$JS.ACK.INSIGHTS_EVENTS.${DURABLE}.>", "$JS.ACK.*.*.INSIGHTS_EVENTS.${DURABLE}.>"] },
        subscribe: { allow: [">"] } } } ] }`,
    });
    node = await startTestNode({
      id: 'lossy',
      nats: { servers: nats.url, user: 'node', pass: 'pw' },
      defaultIsolation: 'inline',
      modules: [tally],
      events: { ackWaitMs: 1000 },
    });
  }, 30_000);

  afterAll(async () => {
    await node?.stop();
    await nats?.stop();
  });

  it('a redelivered event whose ack was lost is acknowledged again, not handled twice', async () => {
    const c = new NodeConnection(node.grpcAddress);
    try {
      const event = (id: string) => ({ id, time: '2026-01-05T10:00:00Z', source: 'test', type: 'tick', payload: {} });
      // Ten single events (one message each), then fifty in one batch (one page: one message).
      for (let i = 0; i < 10; i++) await c.ingest([event(`single-${i}`)]);
      await c.ingest(Array.from({ length: 50 }, (_, i) => event(`lost-${i}`)));
      const tallyNow = async () => {
        const r = await c.call({ kind: 'query', name: 'tally.tally', args: {}, deadline: Date.now() + 5000 });
        return (r.type === 'json' ? r.value : undefined) as { distinct: number; deliveries: number };
      };
      await expect.poll(async () => (await tallyNow()).distinct, { timeout: 10_000 }).toBe(60);
      // Every ack is refused: after the ack wait each message arrives again (and again).
      const stats = () => node.events.handlerStats().find((s) => s.handler === DURABLE)!;
      await expect.poll(() => stats().redelivered, { timeout: 10_000 }).toBeGreaterThanOrEqual(2 * 11);
      expect(stats().duplicatesSkipped).toBeGreaterThanOrEqual(2 * 11);
      expect(await tallyNow()).toEqual({ distinct: 60, deliveries: 60 });
    } finally {
      c.close();
    }
  }, 40_000);
});
