import path from 'node:path';
import type { EventEnvelope } from '@insights/sdk';
import { NodeConnection } from '@insights/client';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../packages/node/src/events/partition-key.ts';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'pages');
const STREAM = 'INSIGHTS_EVENTS';
const event = (id: string, seq: number, type: string, payload: Record<string, unknown> = {}) => ({
  id,
  time: '2026-01-05T10:00:00Z',
  source: 'pages',
  type,
  actor: `u${seq % 37}`,
  payload: { seq, ...payload },
});
/** `n` events, ticks and tocks alternating, over 37 actors. */
const batch = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => event(`${prefix}-${i}`, i, i % 2 === 0 ? 'tick' : 'tock'));

interface Seen {
  plain: { distinct: number; deliveries: number };
  batched: { distinct: number; deliveries: number };
  partitioned: { distinct: number; deliveries: number };
  picky: { distinct: number; deliveries: number };
  pickyPartitioned: { distinct: number; deliveries: number };
  counted: number;
  inOrder: boolean;
}

/**
 * Event pages (events/event-page.ts) through a real node and nats-server: a batch ingest stored
 * many events to a message, and every consumer kind (plain, batched, partitioned in 8, with
 * updateOnce) handling each event once; duplicates, a poison event and hostile pages.
 */
describe.skipIf(NO_NATS)('events - pages: many events per JetStream message', () => {
  let nats: NatsServer;
  let node: TestNode;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let conn: NodeConnection;
  const stored = async () => (await jsm.streams.info(STREAM)).state.messages;
  const seen = async () => {
    const r = await conn.call({ kind: 'query', name: 'pages.seen', args: {}, deadline: Date.now() + 10_000 });
    return (r.type === 'json' ? r.value : undefined) as Seen;
  };
  const stats = (handler: string) => node.events.handlerStats().find((s) => s.handler.startsWith(`h_pages_${handler}`))!;
  const deadLetters = async (handler: string) => {
    const info = await jsm.streams.info('INSIGHTS_DLQ', { subjects_filter: '>' });
    const out: { error: string; event: unknown; pageIndex?: number }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage('INSIGHTS_DLQ', { seq }).catch(() => null);
      if (m !== null && m.subject === `insights.dlq.pages.${handler}`) out.push(m.json());
    }
    return out;
  };

  beforeAll(async () => {
    nats = await startNatsServer({ auth: false });
    node = await startTestNode({
      id: 'pager',
      nats: nats.url,
      defaultIsolation: 'inline',
      modules: [FIXTURE],
      events: { splitWithEmbeddedDb: true, ackWaitMs: 2000 },
    });
    expect(await node.events.untilFlowing(15_000)).toBe(true);
    nc = await natsConnect({ servers: nats.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    conn = new NodeConnection(node.grpcAddress);
  }, 30_000);

  afterAll(async () => {
    conn?.close();
    await node?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('a batch ingest is stored as a few pages and, once a hard-realtime ingest returns, every handler has handled every event once', async () => {
    const report = await conn.ingest(batch('a', 1200), { waitForHandlers: true, timeoutMs: 60_000 });
    expect(report).toMatchObject({ accepted: 1200, duplicates: 0 });
    // Three pages (500, 500, 200), not 1,200 messages.
    expect(await stored()).toBe(3);
    // No polling: the ingest returned only once every handler's consumer had passed the pages.
    expect(await seen()).toEqual({
      plain: { distinct: 600, deliveries: 600 },
      batched: { distinct: 1200, deliveries: 1200 },
      partitioned: { distinct: 1200, deliveries: 1200 },
      picky: { distinct: 0, deliveries: 0 },
      pickyPartitioned: { distinct: 0, deliveries: 0 },
      counted: 1200,
      inOrder: true,
    });
    expect(stats('plain')).toMatchObject({ processed: 600, deadLettered: 0, rejected: 0, redelivered: 0 });
    expect(stats('batched')).toMatchObject({ processed: 1200, deadLettered: 0, redelivered: 0 });
    expect(stats('partitioned')).toMatchObject({ processed: 1200, deadLettered: 0, redelivered: 0 });
    expect(stats('counter')).toMatchObject({ processed: 1200 });
  }, 90_000);

  it('the same batch sent again is dropped by the duplicate window and counted as duplicates', async () => {
    const report = await conn.ingest(batch('a', 1200), { waitForHandlers: true, timeoutMs: 60_000 });
    expect(report).toMatchObject({ accepted: 1200, duplicates: 1200 });
    expect(await stored()).toBe(3);
    expect((await seen()).batched).toEqual({ distinct: 1200, deliveries: 1200 });
  }, 60_000);

  it('a poison event inside a page is retried alone and dead-lettered alone; the rest of the page is handled once', async () => {
    const events = Array.from({ length: 300 }, (_, i) => event(`p-${i}`, i, 'risky', i === 150 ? { poison: true } : {}));
    expect(await conn.ingest(events, { timeoutMs: 30_000 })).toMatchObject({ accepted: 300, duplicates: 0 });
    await expect.poll(() => stats('picky').deadLettered, { timeout: 30_000 }).toBe(1);
    expect((await seen()).picky).toEqual({ distinct: 299, deliveries: 299 });
    const letters = await deadLetters('picky');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ error: expect.stringMatching(/poison/), event: { id: 'p-150' } });
    // The page went through once; its poison event came back alone once (maxAttempts 2).
    expect(stats('picky')).toMatchObject({ processed: 299, deadLettered: 1, rejected: 0, redelivered: 1 });
    // A partition retries it in place (its key waits) and dead-letters it from the page, which it then acknowledges.
    await expect.poll(() => stats('picky_partitioned').deadLettered, { timeout: 30_000 }).toBe(1);
    expect((await seen()).pickyPartitioned).toEqual({ distinct: 299, deliveries: 299 });
    expect(await deadLetters('picky_partitioned')).toEqual([
      expect.objectContaining({
        error: expect.stringMatching(/poison/),
        event: expect.objectContaining({ id: 'p-150' }),
        pageIndex: 150,
      }),
    ]);
    expect(stats('picky_partitioned')).toMatchObject({ processed: 299, deadLettered: 1, rejected: 0, redelivered: 0 });
    // Every partition acknowledged the page once its own events of it were settled.
    const ackPending = async () => {
      let n = 0;
      for (let p = 0; p < 8; p++) n += (await jsm.consumers.info(STREAM, `h_pages_picky_partitioned_p${p}`)).num_ack_pending;
      return n;
    };
    await expect.poll(ackPending, { timeout: 10_000 }).toBe(0);
  }, 60_000);

  it('hostile pages are dead-lettered whole with their reason, a bad event in a good page alone, and the node goes on', async () => {
    const subject = 'insights.events.=.pages';
    const index = (n: number) =>
      JSON.stringify({ source: 'pages', types: ['tick'], events: Array.from({ length: n }, () => [0, 0, 0, 0]) });
    const send = (body: string, id: string) => js.publish(subject, new TextEncoder().encode(body), { msgID: id });
    await send('{not json\n{}', 'hostile-1');
    await send(`${index(2)}\n{}`, 'hostile-2');
    await send(`${index(600)}\n{}`, 'hostile-3');
    // A page as a node writes it, whose second event line is not JSON: the first is handled.
    const good = { ...event('h-ok', 0, 'tick'), raw: {} };
    const ok = JSON.stringify({
      source: 'pages',
      types: ['tick'],
      events: [
        [0, ...buckets(good)],
        [0, 0, 0, 0],
      ],
    });
    await send(`${ok}\n${JSON.stringify(good)}\n{"id":`, 'hostile-4');
    await expect.poll(async () => (await deadLetters('plain')).length, { timeout: 30_000 }).toBe(4);
    const reasons = (await deadLetters('plain')).map((l) => l.error);
    expect(reasons).toEqual([
      expect.stringMatching(/^page refused: its index is not JSON/),
      'page refused: its index names 2 events but it holds 1',
      expect.stringMatching(/^page refused: its index lists 600 events, over the 512/),
      expect.stringMatching(/^event is not JSON/),
    ]);
    expect((await deadLetters('plain'))[3]).toMatchObject({ pageIndex: 1, event: '{"id":' });
    // The partitioned handler refuses each once (partition 0 the whole pages, the index's partition the bad event).
    await expect.poll(async () => (await deadLetters('partitioned')).length, { timeout: 30_000 }).toBe(4);
    // The node goes on: the good event of the page, and a batch after them, are handled.
    const report = await conn.ingest(batch('b', 40), { waitForHandlers: true, timeoutMs: 60_000 });
    expect(report).toMatchObject({ accepted: 40, duplicates: 0 });
    expect((await seen()).plain).toEqual({ distinct: 600 + 1 + 20, deliveries: 600 + 1 + 20 });
    expect((await seen()).partitioned).toEqual({ distinct: 1200 + 1 + 40, deliveries: 1200 + 1 + 40 });
    expect(stats('plain')).toMatchObject({ rejected: 4, deadLettered: 4 });
  }, 90_000);
});

function buckets(e: EventEnvelope): [number, number, number] {
  return [bucketOf(e, 'actor'), bucketOf(e, 'course'), bucketOf(e, 'resource')];
}
