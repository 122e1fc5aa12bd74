import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect, type Mesh } from '@insights/client';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeProcess } from '../support/cli-process.ts';
import { spawnShardedReplica } from '../support/sharded-replica.ts';
import { NO_MONGODB, startSharedMongo, type SharedMongo } from '../support/mongodb.ts';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, tempDir } from '../support/tmp.ts';

const ACTORS = 30;
const EVENTS = 1200;

/** Events of 30 actors, each actor's numbered 0, 1, 2, ... in publish order. */
const events = Array.from({ length: EVENTS }, (_, i) => ({
  id: `m-${i}`,
  time: '2026-01-05T10:00:00Z',
  source: 'shard',
  type: 'tick',
  actor: `a${i % ACTORS}`,
  payload: { seq: Math.floor(i / ACTORS) },
}));

interface LedgerDoc {
  _id: string;
  seqs: number[];
  nodes: string[];
}

/**
 * The scale-out deployment of the design: replicas of a module on separate node processes, one
 * MongoDB (FerretDB here) for their state, one JetStream stream, a partitioned handler whose
 * consumers the replicas share. One replica dies by SIGKILL mid-stream and comes back.
 */
describe.skipIf(NO_NATS || NO_MONGODB)('events - replicas sharing MongoDB and JetStream (real node processes)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let mongo: SharedMongo;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let ledger: TestNode;
  let mesh: Mesh;
  let configFile: string;
  const replicas: NodeProcess[] = [];

  const replica = async (id: string) => {
    const p = await spawnShardedReplica(nats, tmp.dir, id, configFile);
    replicas.push(p);
    return p;
  };

  /** Who holds the partition leases now (read key by key: a key listing can stall while leases churn). */
  const holders = async (): Promise<string[]> => {
    const kv = await new Kvm(nc).open('insights-partitions');
    const out: string[] = [];
    for (let p = 0; p < 8; p++) {
      const e = await kv.get(`p.sharded.by_actor.${p}`);
      if (e !== null && e.operation === 'PUT') out.push(e.string());
    }
    return out.sort();
  };
  const logs = () =>
    replicas
      .map((r) =>
        r
          .stderr()
          .split('\n')
          .filter((l) => /partition|error|warn/.test(l))
          .join('\n')
          .slice(-4000),
      )
      .join('\n---\n');
  /** Both replicas hold partitions (how many each is the sharding suite's concern). */
  const bothHold = () =>
    expect
      .poll(async () => new Set(await holders()), { timeout: 30_000, interval: 200 })
      .toEqual(new Set(['r1', 'r2']))
      .catch((e: Error) => {
        throw new Error(`${e.message}\n--- logs ---\n${logs()}`);
      });
  const ledgerDocs = async () => (await mesh.query['shard-ledger.ledger']!()) as LedgerDoc[];
  const handledBy = (docs: LedgerDoc[], node: string) => docs.reduce((n, d) => n + d.nodes.filter((x) => x === node).length, 0);
  /** The counters in the shared database, read through one replica (any replica sees every key). */
  const counters = async (grpc: string) => {
    const m = await connect({ nodes: [grpc] });
    try {
      return (await m.query['sharded.handled']!()) as { _id: string; n: number }[];
    } finally {
      await m.close();
    }
  };

  beforeAll(async () => {
    [nats, mongo, tmp] = await Promise.all([startNatsServer(), startSharedMongo(), tempDir()]);
    nc = await natsConnect(nats.connectOptions('admin'));
    configFile = path.join(tmp.dir, 'replica.json');
    await writeFile(
      configFile,
      JSON.stringify({ db: mongo.nodeDb, events: { ackWaitMs: 4000, partitionLeaseMs: 5000 }, registry: { ttlMs: 1500 } }),
    );
    ledger = await startTestNode({
      id: 'ledger',
      nats: nats.as('node'),
      defaultIsolation: 'inline',
      modules: [path.join(FIXTURE_MODULES, 'shard-ledger')],
      registry: { ttlMs: 1500 },
    });
    mesh = await connect({ nodes: [ledger.grpcAddress] });
  }, 60_000);
  afterAll(async () => {
    for (const r of replicas) await r.stop().catch(() => {});
    await mesh?.close();
    await ledger?.stop();
    await nc?.close();
    await nats?.stop();
    await mongo?.stop();
    await tmp?.remove();
  });

  it('kill -9 of one replica mid-stream and its restart: every counter in MongoDB exact, each key in order, nothing lost', async () => {
    const r1 = await replica('r1');
    const victim = await replica('r2');
    await bothHold();

    // Half the events; kill -9 one replica while it works through its share; the rest meanwhile.
    for (let i = 0; i < EVENTS / 2; i += 200) await ledger.events.ingest(events.slice(i, i + 200));
    await expect.poll(async () => handledBy(await ledgerDocs(), 'r2'), { timeout: 30_000, interval: 50 }).toBeGreaterThan(50);
    victim.proc.kill('SIGKILL');
    for (let i = EVENTS / 2; i < EVENTS; i += 200) await ledger.events.ingest(events.slice(i, i + 200));
    // It comes back under the same id, takes its share again, and the two finish the stream.
    const back = await replica('r2');
    await bothHold();
    const perActor = EVENTS / ACTORS;
    await expect
      .poll(async () => (await counters(r1.ready.grpc)).reduce((n, d) => n + d.n, 0), { timeout: 120_000, interval: 250 })
      .toBe(EVENTS)
      .catch((e: Error) => {
        throw new Error(`${e.message}\n--- logs ---\n${logs()}`);
      });

    // Every counter exact, seen alike from both replicas: one database, each event applied once.
    const expected = Array.from({ length: ACTORS }, (_, i) => ({ _id: `a${i}`, n: perActor }));
    const byId = (docs: { _id: string; n: number }[]) =>
      docs.map(({ _id, n }) => ({ _id, n })).sort((x, y) => Number(x._id.slice(1)) - Number(y._id.slice(1)));
    expect(byId(await counters(r1.ready.grpc))).toEqual(expected);
    expect(byId(await counters(back.ready.grpc))).toEqual(expected);
    // Each key in order, no gap, repeat or step back, across the kill and the rebalance.
    await expect.poll(async () => (await ledgerDocs()).reduce((n, d) => n + d.seqs.length, 0), { timeout: 20_000 }).toBe(EVENTS);
    const docs = await ledgerDocs();
    expect(docs).toHaveLength(ACTORS);
    for (const d of docs)
      expect(d.seqs, `${d._id}: ${d.seqs.map((q, i) => `${q}@${d.nodes[i]}`).join(' ')}`).toEqual(
        Array.from({ length: perActor }, (_, i) => i),
      );
    expect(handledBy(docs, 'r1')).toBeGreaterThan(0);
    expect(handledBy(docs, 'r2')).toBeGreaterThan(50);
  }, 240_000);
});
