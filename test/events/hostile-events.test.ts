import path from 'node:path';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, tempDir } from '../support/tmp.ts';

const SUBJECT = 'insights.events.test.tick';
const good = (i: number) => ({
  id: `good-${i}`,
  time: '2026-01-05T10:00:00Z',
  source: 'test',
  type: 'tick',
  payload: { i },
  raw: { i },
});
/** What an attacker on the events subject sends: each must be refused, with this in its reason. */
const HOSTILE: { name: string; body: string; reason: RegExp }[] = [
  { name: 'null', body: 'null', reason: /not an envelope: \(root\): .*received null/ },
  { name: 'array', body: '[]', reason: /not an envelope: \(root\): .*received array/ },
  { name: 'string', body: '"x"', reason: /not an envelope: \(root\): .*received string/ },
  {
    name: '10 MB string',
    body: `"${'x'.repeat(10 * 1024 * 1024)}"`,
    reason: /bytes; this node accepts at most 1048576 \(limits\.maxEventBytes\)/,
  },
  {
    name: 'wrong types',
    body: JSON.stringify({ id: 7, time: ['now'], source: 'test', type: 'tick', payload: {}, raw: {} }),
    reason: /not an envelope: id:/,
  },
  { name: 'deep', body: `${'['.repeat(10_000)}${']'.repeat(10_000)}`, reason: /limits\.maxJsonDepth/ },
  { name: 'not JSON', body: '{"id":', reason: /not JSON/ },
];

describe.skipIf(NO_NATS)('events - hostile messages on the events subject', () => {
  let nats: NatsServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let nc: NatsConnection;
  const nodes: NodeProcess[] = [];

  beforeAll(async () => {
    // NATS refuses messages over 1 MB by default; allow the 10 MB one so the node itself must refuse it.
    // An open NATS: these tests play a publisher that already got past NATS's own permissions
    // (a leaked node credential), to prove the node itself refuses what it receives.
    nats = await startNatsServer({ auth: false, extraConfig: 'max_payload: 16777216' });
    tmp = await tempDir();
    nc = await natsConnect({ servers: nats.url });
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await nc?.close();
    await nats?.stop();
    await tmp?.remove();
  });

  it('each goes to dead letters with its reason, both node processes stay up and count every good event exactly', async () => {
    for (const id of ['hostile-a', 'hostile-b'])
      nodes.push(
        await spawnNode([
          '--id',
          id,
          '--nats',
          nats.url,
          '--isolation',
          'inline',
          '--data-dir',
          path.join(tmp.dir, id),
          '--module',
          path.join(FIXTURE_MODULES, 'counter'),
        ]),
      );
    const count = async (n: NodeProcess) => (await (await fetch(`http://${n.ready.http}/query/counter.count`)).json()) as number;
    // Both nodes' consumers exist once a good event is counted on each.
    const js = jetstream(nc);
    const publishGood = async (from: number, to: number) => {
      for (let i = from; i < to; i++)
        await js.publish(SUBJECT, new TextEncoder().encode(JSON.stringify(good(i))), { msgID: `good-${i}` });
    };
    const counted = async (expected: number) => {
      for (const n of nodes) await expect.poll(() => count(n), { timeout: 30_000, interval: 200 }).toBe(expected);
    };
    await publishGood(0, 1);
    await counted(1);

    for (const [i, h] of HOSTILE.entries()) {
      await js.publish(SUBJECT, new TextEncoder().encode(h.body), { msgID: `hostile-${i}` });
      await publishGood(1 + i * 3, 4 + i * 3);
    }
    const total = 1 + HOSTILE.length * 3;
    await counted(total);

    // One dead letter per hostile message per node (each node has its own consumer with the embedded db).
    const jsm = await jetstreamManager(nc);
    await expect
      .poll(async () => (await jsm.streams.info('INSIGHTS_DLQ')).state.messages, { timeout: 10_000 })
      .toBe(HOSTILE.length * nodes.length);
    const letters: { error: string; subject: string; bytes?: number; event: unknown }[] = [];
    for (let seq = 1; seq <= HOSTILE.length * nodes.length; seq++)
      letters.push(JSON.parse(new TextDecoder().decode((await jsm.streams.getMessage('INSIGHTS_DLQ', { seq }))!.data)));
    for (const h of HOSTILE) {
      const matching = letters.filter((l) => h.reason.test(l.error));
      expect(matching.length, `${h.name}: ${letters.map((l) => l.error).join(' | ')}`).toBe(nodes.length);
    }
    // The 10 MB record keeps its size and an excerpt, so the dead letter itself fits a NATS message.
    expect(letters.find((l) => /maxEventBytes/.test(l.error))?.bytes).toBe(10 * 1024 * 1024 + 2);

    for (const n of nodes) {
      expect(n.proc.exitCode).toBeNull();
      expect(n.stderr()).not.toMatch(/unhandled|TypeError/i);
      const metrics = await (await fetch(`http://${n.ready.http}/metrics`)).text();
      expect(metrics).toMatch(
        new RegExp(`insights_events_rejected_total\\{handler="[^"]+",node="[^"]+"\\} ${HOSTILE.length}\\b`),
      );
    }
    // Nothing is redelivered later: counts stay exact.
    await publishGood(total, total + 1);
    await counted(total + 1);
  }, 120_000);
});

describe.skipIf(NO_NATS)('events - hostile messages for a partitioned handler', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    // An open NATS: these tests play a publisher that already got past NATS's own permissions
    // (a leaked node credential), to prove the node itself refuses what it receives.
    nats = await startNatsServer({ auth: false });
  });
  afterAll(() => nats?.stop());

  it('every partition passes them by and one dead-letters each; the keys are handled exactly; the ingest subject refuses deep bodies', async () => {
    const node = await startTestNode({
      id: 'hostile-shard',
      nats: nats.url,
      defaultIsolation: 'inline',
      modules: [path.join(FIXTURE_MODULES, 'sharded')],
      events: { splitWithEmbeddedDb: true },
    });
    const nc = await natsConnect({ servers: nats.url });
    try {
      const js = jetstream(nc);
      const hostile = HOSTILE.filter((h) => !h.name.includes('MB'));
      const goodEvents = Array.from({ length: 12 }, (_, i) => ({
        id: `s-${i}`,
        time: '2026-01-05T10:00:00Z',
        source: 'shard',
        type: 'tick',
        actor: `a${i % 4}`,
        payload: { seq: i },
      }));
      await node.events.ingest(goodEvents.slice(0, 6));
      for (const h of hostile) await js.publish('insights.events.shard.tick', new TextEncoder().encode(h.body));
      await node.events.ingest(goodEvents.slice(6), { waitForHandlers: true, timeoutMs: 30_000 });
      const handled = (await node.dispatcher.call({ kind: 'query', name: 'sharded.handled', args: {} })) as {
        value: { _id: string; n: number }[];
      };
      expect(handled.value.reduce((sum, d) => sum + d.n, 0)).toBe(goodEvents.length);
      const jsm = await jetstreamManager(nc);
      await expect
        .poll(async () => (await jsm.streams.info('INSIGHTS_DLQ')).state.messages, { timeout: 10_000 })
        .toBe(hostile.length);
      expect(node.events.handlerStats()[0]).toMatchObject({ rejected: hostile.length, deadLettered: hostile.length });
      // The plain NATS ingest subject refuses a body nested past the limit before parsing it, and says so.
      const deep = `[${'['.repeat(100)}${']'.repeat(100)}]`;
      const reply = await nc.request('insights.ingest', new TextEncoder().encode(deep), { timeout: 5000 });
      expect(JSON.parse(new TextDecoder().decode(reply.data))).toEqual({
        error: 'events: nested deeper than 64 levels of arrays and objects (limits.maxJsonDepth)',
      });
    } finally {
      await nc.close();
      await node.stop();
    }
  }, 60_000);
});
