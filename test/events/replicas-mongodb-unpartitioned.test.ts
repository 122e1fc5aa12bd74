import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect } from '@insights/client';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { NO_MONGODB, startSharedMongo, type SharedMongo } from '../support/mongodb.ts';
import { NO_NATS, natsEnv, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, tempDir } from '../support/tmp.ts';

/** Well past the 500 events a document used to remember (`SEEN_WINDOW`), all on one document. */
const EVENTS = 1800;
const ACK_WAIT_MS = 4000;
const DURABLE = 'h_hot-counter_count_all';

const events = Array.from({ length: EVENTS }, (_, i) => ({
  id: `hot-${i}`,
  time: '2026-01-05T10:00:00Z',
  source: 'hot',
  type: 'tick',
  actor: `a${i % 7}`,
  payload: { i },
}));

interface Count {
  n: number;
  by: Record<string, number>;
  memory: string[];
}

/**
 * Replicas of an unpartitioned handler share one durable consumer (state in MongoDB, FerretDB
 * here), and every event updates the same document. One replica is killed with SIGKILL while it
 * has applied part of a batch it has not acknowledged; those events come back to the survivor
 * only after the ack wait, by which time the survivor has applied far more than 500 events to the
 * document. Each must still count once.
 */
describe.skipIf(NO_NATS || NO_MONGODB)('events - unpartitioned replicas sharing MongoDB: kill -9 with a hot document', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let mongo: SharedMongo;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let ingest: TestNode;
  let configFile: string;
  const replicas: NodeProcess[] = [];

  const replica = async (id: string, isolation: 'inline' | 'process', stallAfter?: number) => {
    const p = await spawnNode(
      [
        ...['--id', id, '--nats', nats.url, '--isolation', isolation, '--data-dir', path.join(tmp.dir, id)],
        ...['--config', configFile, '--module', path.join(FIXTURE_MODULES, 'hot-counter')],
      ],
      { SHARD_NODE: id, ...(stallAfter === undefined ? {} : { HOT_STALL_AFTER: String(stallAfter) }), ...natsEnv(nats, 'node') },
    );
    replicas.push(p);
    return p;
  };
  const count = async (grpc: string): Promise<Count> => {
    const m = await connect({ nodes: [grpc] });
    try {
      return (await m.query['hot-counter.count']!()) as Count;
    } finally {
      await m.close();
    }
  };
  const info = () => jsm.consumers.info('INSIGHTS_EVENTS', DURABLE);
  const logs = () =>
    replicas
      .map((r) =>
        r
          .stderr()
          .split('\n')
          .filter((l) => /error|warn/.test(l))
          .join('\n')
          .slice(-4000),
      )
      .join('\n---\n');

  beforeAll(async () => {
    [nats, mongo, tmp] = await Promise.all([startNatsServer(), startSharedMongo(), tempDir()]);
    nc = await natsConnect(nats.connectOptions('admin'));
    jsm = await jetstreamManager(nc);
    configFile = path.join(tmp.dir, 'replica.json');
    await writeFile(
      configFile,
      JSON.stringify({ db: mongo.nodeDb, events: { ackWaitMs: ACK_WAIT_MS }, registry: { ttlMs: 1500 } }),
    );
    ingest = await startTestNode({ id: 'ingest', nats: nats.as('node'), registry: { ttlMs: 1500 } });
  }, 60_000);
  afterAll(async () => {
    for (const r of replicas) await r.stop().catch(() => {});
    await ingest?.stop();
    await nc?.close();
    await nats?.stop();
    await mongo?.stop();
    await tmp?.remove();
  });

  it('every event counts once on the hot document, across a kill -9 and the redelivery of what the killed replica held', async () => {
    // The victim stops in the middle of a batch, after 300 events, still alive and holding the
    // batch (it tells JetStream it is working on it): what it applied of it is unacknowledged.
    const victim = await replica('r2', 'inline', 300);
    await ingest.events.ingest(events.slice(0, 1000));
    await expect.poll(async () => (await count(victim.ready.grpc)).by.r2 ?? 0, { timeout: 30_000, interval: 50 }).toBe(300);
    const unacknowledged = 300 - (await info()).ack_floor.stream_seq;
    expect(unacknowledged, 'events applied and not acknowledged by the victim').toBeGreaterThan(0);
    // The other replica (in a process sandbox: the stream positions cross the sandbox boundary to
    // its updateOnce) works through the rest meanwhile: far more than 500 events on the document.
    const r1 = await replica('r1', 'process');
    for (let i = 1000; i < EVENTS; i += 400) await ingest.events.ingest(events.slice(i, i + 400));
    // The victim is stalled: every count past its 300 is the survivor's.
    await expect.poll(async () => (await count(r1.ready.grpc)).n - 300, { timeout: 60_000, interval: 100 }).toBeGreaterThan(500);
    // Killed now, the victim's batch comes back to the survivor after the ack wait.
    victim.proc.kill('SIGKILL');
    // Every message in the stream is this handler's: more deliveries than messages is a redelivery.
    await expect
      .poll(async () => ((c) => c.delivered.consumer_seq > c.delivered.stream_seq)(await info()), {
        timeout: 30_000,
        interval: 50,
      })
      .toBe(true);

    await expect
      .poll(async () => ((c) => c.num_pending === 0 && c.num_ack_pending === 0)(await info()), {
        timeout: 120_000,
        interval: 250,
      })
      .toBe(true)
      .catch((e: Error) => {
        throw new Error(`${e.message}\n--- logs ---\n${logs()}`);
      });
    const final = await count(r1.ready.grpc);
    expect(final.n, JSON.stringify(final.by)).toBe(EVENTS);
    expect(final.memory).toEqual(['count_all']);
  }, 240_000);
});
