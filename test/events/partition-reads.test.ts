import path from 'node:path';
import { connect as natsConnect, headers, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, partitionOf } from '../../packages/node/src/events/partition-key.ts';
import { ONLY_HANDLER_HEADER } from '../../packages/node/src/events/subjects.ts';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';

const STREAM = 'INSIGHTS_EVENTS';
/** The fixture's partition count. */
const P = 8;
const ACTORS = 40;
const durables = Array.from({ length: P }, (_, p) => `h_sharded_by_actor_p${p}`);

const tick = (id: string, i: number) => ({
  id,
  time: '2026-01-05T10:00:00Z',
  source: 'shard',
  type: 'tick',
  actor: `a${i % ACTORS}`,
  payload: { seq: i },
  raw: { i },
});
const range = (prefix: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => tick(`${prefix}-${from + i}`, from + i));
/** Raw-layout messages that are no event: each must be dead-lettered once for the handler. */
const HOSTILE = ['null', '[]', JSON.stringify({ id: 7, time: ['now'], source: 'shard', type: 'tick', payload: {} })];

describe.skipIf(NO_NATS)('events - a partitioned handler reads each event once', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let node: TestNode | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await natsConnect(nats.connectOptions('admin'));
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await node?.stop();
    await nc?.close();
    await nats?.stop();
  });

  const delivered = async () => {
    let sum = 0;
    for (const d of durables) sum += (await jsm.consumers.info(STREAM, d)).delivered.consumer_seq;
    return sum;
  };

  it('the partitions deliver node-published events once in all, raw-layout ones to each, and dead-letter bad ones once', async () => {
    // A previous version's state: the stream, the partition durables with one broad filter each,
    // and raw-layout events they have not read yet.
    await jsm.streams.add({ name: STREAM, subjects: ['insights.events.>'] });
    for (const [p, d] of durables.entries())
      await jsm.consumers.add(STREAM, {
        durable_name: d,
        ack_policy: AckPolicy.Explicit,
        filter_subject: 'insights.events.shard.>',
        description: `insights handler sharded.by_actor partition ${p}/${P}`,
      });
    const js = jetstream(nc);
    const raw = (body: string, id: string, subject = 'insights.events.shard.tick', onlyFor?: string) => {
      const h = headers();
      if (onlyFor !== undefined) h.set(ONLY_HANDLER_HEADER, onlyFor);
      return js.publish(subject, new TextEncoder().encode(body), { msgID: id, headers: h });
    };
    const old = range('old', 0, 40);
    for (const e of old) await raw(JSON.stringify(e), e.id);

    node = await startTestNode({
      id: 'reads',
      nats: nats.as('node'),
      defaultIsolation: 'inline',
      modules: [path.join(FIXTURE_MODULES, 'sharded'), path.join(FIXTURE_MODULES, 'counter')],
      // Keyed single events, as a node publishes realtime ones (a batch ingest's pages are read by every partition: pages.test.ts).
      events: { splitWithEmbeddedDb: true, pages: false },
    });
    // The durables are updated in place (once the node's event system is up): their filters now name the partition's buckets.
    await expect
      .poll(async () => (await jsm.consumers.info(STREAM, durables[3]!)).config.filter_subjects, { timeout: 20_000 })
      .toBeDefined();
    const p3 = (await jsm.consumers.info(STREAM, durables[3]!)).config;
    expect(p3.filter_subject ?? '').toBe('');
    expect(p3.filter_subjects).toContain('insights.events.shard.>');
    expect(p3.filter_subjects).toContain('insights.events.~.11.*.*.shard.>');
    expect(p3.filter_subjects).toContain('insights.events.=.shard');
    expect(p3.filter_subjects).toHaveLength(2 + 64 / P);

    // Through the node: keyed subjects.
    const ingested = range('n', 40, 400);
    for (let i = 0; i < ingested.length; i += 100) await node.events.ingest(ingested.slice(i, i + 100));
    // Raw layout again: good events, refused ones, and a keyed subject whose bucket is not the event's.
    const rawGood = range('r', 440, 8);
    for (const e of rawGood) await raw(JSON.stringify(e), e.id);
    // Re-driven (`insights events dlq --redrive`): one for this handler is handled, one for another passed by.
    const redriven = tick('redriven', 456);
    await raw(JSON.stringify(redriven), 'redrive-1', undefined, 'sharded.by_actor');
    await raw(JSON.stringify(tick('elsewhere', 457)), 'redrive-2', undefined, 'other.handler');
    for (const [i, h] of HOSTILE.entries()) await raw(h, `hostile-${i}`);
    const forged = tick('forged', 448);
    const wrong = (bucketOf(forged, 'actor') + 1) % 64;
    await raw(JSON.stringify(forged), forged.id, `insights.events.~.${wrong}.0.0.shard.tick`);
    const last = range('z', 449, 8);
    await node.events.ingest(last, { waitForHandlers: true, timeoutMs: 30_000 });

    const handledEvents = [...old, ...ingested, ...rawGood, redriven, ...last];
    const handled = (await node.dispatcher.call({ kind: 'query', name: 'sharded.handled', args: {} })) as {
      value: { _id: string; n: number }[];
    };
    const perActor = new Map<string, number>();
    for (const e of handledEvents) perActor.set(e.actor, (perActor.get(e.actor) ?? 0) + 1);
    expect(new Map(handled.value.map((d) => [d._id, d.n]))).toEqual(perActor);

    // Keyed events were read once, each by its own partition; raw-layout messages by every partition.
    const keyed = ingested.length + last.length + 1;
    const rawMessages = old.length + rawGood.length + 2 + HOSTILE.length;
    expect(await delivered()).toBe(keyed + P * rawMessages);
    for (const [p, d] of durables.entries()) {
      const own = [...ingested, ...last].filter((e) => partitionOf(e, 'actor', P) === p).length;
      const forgedHere = wrong % P === p ? 1 : 0;
      expect((await jsm.consumers.info(STREAM, d)).delivered.consumer_seq, d).toBe(own + forgedHere + rawMessages);
    }
    await expect
      .poll(async () => (await jsm.streams.info('INSIGHTS_DLQ')).state.messages, { timeout: 10_000 })
      .toBe(HOSTILE.length + 1);
    const stats = node.events.handlerStats().find((s) => s.handler.startsWith('h_sharded'));
    expect(stats).toMatchObject({ processed: handledEvents.length, rejected: HOSTILE.length + 1, redelivered: 0 });
    expect(stats?.deadLettered).toBe(HOSTILE.length + 1);
  }, 60_000);

  it('an unpartitioned handler reads node-published and raw-layout events, each once', async () => {
    const viaNode = Array.from({ length: 20 }, (_, i) => ({ ...tick(`c-${i}`, i), source: 'test' }));
    await node!.events.ingest(viaNode);
    const js = jetstream(nc);
    for (let i = 0; i < 5; i++)
      await js.publish(
        'insights.events.test.tick',
        new TextEncoder().encode(JSON.stringify({ ...tick(`cr-${i}`, i), source: 'test' })),
        {
          msgID: `cr-${i}`,
        },
      );
    await node!.events.ingest([{ ...tick('c-last', 0), source: 'test' }], { waitForHandlers: true, timeoutMs: 30_000 });
    const count = await node!.dispatcher.call({ kind: 'query', name: 'counter.count', args: {} });
    expect(count).toMatchObject({ value: 26 });
    expect((await jsm.consumers.info(STREAM, 'h_counter_count_all__reads')).delivered.consumer_seq).toBe(26);
  }, 30_000);
});
