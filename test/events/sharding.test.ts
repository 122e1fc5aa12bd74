import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect, type Mesh } from '@insights/client';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeProcess } from '../support/cli-process.ts';
import { spawnShardedReplica } from '../support/sharded-replica.ts';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, tempDir } from '../support/tmp.ts';

const ACTORS = 40;
const EVENTS = 3000;
/** Published in the second test, after the first's. */
const MORE = 800;

/** Events of 40 actors, each actor's numbered 0, 1, 2, ... in publish order. */
const events = Array.from({ length: EVENTS + MORE }, (_, i) => ({
  id: `s-${i}`,
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

describe.skipIf(NO_NATS)('events - a partitioned handler shared by two replicas (real node processes)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let ledger: TestNode;
  let mesh: Mesh;
  const replicas: NodeProcess[] = [];

  const replica = async (id: string, configFile: string) => {
    const p = await spawnShardedReplica(nats, tmp.dir, id, configFile);
    replicas.push(p);
    return p;
  };

  /** Who holds each partition lease now. */
  const holders = async (): Promise<string[]> => {
    const kv = await new Kvm(nc).create('insights-partitions');
    const keys: string[] = [];
    for await (const k of await kv.keys('p.sharded.by_actor.>')) keys.push(k);
    const out: string[] = [];
    for (const k of keys) {
      const e = await kv.get(k);
      if (e !== null && e.operation === 'PUT') out.push(e.string());
    }
    return out.sort();
  };

  const ledgerDocs = async () => (await mesh.query['shard-ledger.ledger']!()) as LedgerDoc[];
  const handledBy = (docs: LedgerDoc[], node: string) => docs.reduce((n, d) => n + d.nodes.filter((x) => x === node).length, 0);
  const switches = (d: LedgerDoc) => d.nodes.filter((n, i) => i > 0 && n !== d.nodes[i - 1]).length;
  const total = async () => (await ledgerDocs()).reduce((n, d) => n + d.seqs.length, 0);
  let configFile = '';

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await natsConnect(nats.connectOptions('admin'));
    tmp = await tempDir();
  });
  afterAll(async () => {
    for (const r of replicas) await r.stop().catch(() => {});
    await mesh?.close();
    await ledger?.stop();
    await nc?.close();
    await nats.stop();
    await tmp.remove();
  });

  it('two replicas split the keys, each key in order; after kill -9 of one the other finishes every partition, each event counted once', async () => {
    ledger = await startTestNode({
      id: 'ledger',
      nats: nats.as('node'),
      defaultIsolation: 'inline',
      modules: [path.join(FIXTURE_MODULES, 'shard-ledger')],
      registry: { ttlMs: 1500 },
    });
    mesh = await connect({ nodes: [ledger.grpcAddress] });
    // The embedded database: each replica keeps the state of its own keys; the ledger is shared.
    configFile = path.join(tmp.dir, 'replica.json');
    await writeFile(
      configFile,
      JSON.stringify({
        events: { ackWaitMs: 2000, partitionLeaseMs: 2000, splitWithEmbeddedDb: true },
        registry: { ttlMs: 1500 },
      }),
    );
    await replica('r1', configFile);
    const victim = await replica('r2', configFile);
    // They balance: four partitions each.
    await expect
      .poll(holders, { timeout: 15_000, interval: 200 })
      .toEqual([...Array(4).fill('r1'), ...Array(4).fill('r2')])
      .catch((e: Error) => {
        throw new Error(`${e.message}\n--- logs ---\n${replicas.map((r) => r.stderr().slice(-3000)).join('\n---\n')}`);
      });

    // Half the events, then kill -9 one replica while it is working through its share.
    for (let i = 0; i < EVENTS / 2; i += 250) await ledger.events.ingest(events.slice(i, i + 250));
    await expect.poll(async () => handledBy(await ledgerDocs(), 'r2'), { timeout: 15_000, interval: 50 }).toBeGreaterThan(150);
    victim.proc.kill('SIGKILL');
    for (let i = EVENTS / 2; i < EVENTS; i += 250) await ledger.events.ingest(events.slice(i, i + 250));

    // The survivor takes every partition over and finishes them.
    await expect
      .poll(holders, { timeout: 15_000, interval: 200 })
      .toEqual(Array(8).fill('r1'))
      .catch((e: Error) => {
        throw new Error(`${e.message}\n--- survivor log ---\n${replicas[0]?.stderr().slice(-4000)}`);
      });
    await expect.poll(total, { timeout: 40_000, interval: 250 }).toBeGreaterThanOrEqual(EVENTS);
    const docs = await ledgerDocs();
    expect(docs).toHaveLength(ACTORS);
    const perActor = EVENTS / ACTORS;
    for (const d of docs) {
      // Exactly once in effect and in order: 0, 1, 2, ... with no gap, repeat or step back.
      expect(
        d.seqs,
        `${d._id}: ${d.seqs.map((q, i) => `${q}@${d.nodes[i]}`).join(' ')}\n${replicas[0]
          ?.stderr()
          .split('\n')
          .filter((l) => l.includes('partition'))
          .join('\n')}`,
      ).toEqual(Array.from({ length: perActor }, (_, i) => i));
      // One replica at a time: the victim's keys moved once, to the survivor; never back and forth.
      expect(switches(d), `${d._id}: ${d.nodes.join(' ')}`).toBeLessThanOrEqual(1);
    }
    // Both replicas did work, and the victim's keys ended on the survivor.
    expect(handledBy(docs, 'r1')).toBeGreaterThan(0);
    expect(handledBy(docs, 'r2')).toBeGreaterThan(150);
    expect(docs.every((d) => d.nodes.at(-1) === 'r1')).toBe(true);
  }, 60_000);

  it('a replica that joins gets its share; one stopped cleanly (SIGTERM) hands its partitions over mid-stream, in order', async () => {
    const survivor = replicas[0] as NodeProcess;
    await replica('r3', configFile);
    await expect.poll(holders, { timeout: 15_000, interval: 200 }).toEqual([...Array(4).fill('r1'), ...Array(4).fill('r3')]);
    const half = EVENTS + MORE / 2;
    for (let i = EVENTS; i < half; i += 100) await ledger.events.ingest(events.slice(i, i + 100));
    await expect.poll(async () => handledBy(await ledgerDocs(), 'r3'), { timeout: 15_000, interval: 50 }).toBeGreaterThan(50);
    await survivor.stop();
    for (let i = half; i < EVENTS + MORE; i += 100) await ledger.events.ingest(events.slice(i, i + 100));
    // A clean stop gives the leases back: no waiting for them to run out.
    await expect.poll(holders, { timeout: 5_000, interval: 100 }).toEqual(Array(8).fill('r3'));
    await expect.poll(total, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(EVENTS + MORE);
    const perActor = (EVENTS + MORE) / ACTORS;
    for (const d of await ledgerDocs()) {
      expect(d.seqs, `${d._id}: ${d.seqs.map((q, i) => `${q}@${d.nodes[i]}`).join(' ')}`).toEqual(
        Array.from({ length: perActor }, (_, i) => i),
      );
      // Before: at most one move (the kill). Now: to r3 when it joined, or from r1 when r1 stopped.
      expect(switches(d), `${d._id}: ${d.nodes.join(' ')}`).toBeLessThanOrEqual(2);
      expect(d.nodes.at(-1)).toBe('r3');
    }
  }, 60_000);
});
