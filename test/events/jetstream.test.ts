import { connect, NodeConnection, type Mesh } from '@insights/client';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnNode } from '../support/cli-process.ts';
import { NO_MONGODB, startSharedMongo } from '../support/mongodb.ts';
import { NO_NATS, natsEnv, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES, tempDir } from '../support/tmp.ts';

/** Envelope-shaped test events: accepted by any node, with or without a data-layer module. */
const testEvents = (n: number, from = 0, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, i) => ({
    id: `e-${from + i}`,
    time: '2026-01-05T10:00:00Z',
    source: 'test',
    type: 'tick',
    payload: { user: `u${(from + i) % 17}`, ...extra },
  }));

describe.skipIf(NO_NATS)('events - JetStream delivery with real NATS', () => {
  let nats: NatsServer;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const cleanup: (() => Promise<unknown>)[] = [];

  const node = async (id: string, modules: string[], extra: Record<string, unknown> = {}): Promise<TestNode> => {
    const n = await startTestNode({
      id,
      nats: nats.as('node'),
      defaultIsolation: 'inline',
      modules,
      registry: { ttlMs: 1500 },
      ...extra,
    });
    cleanup.push(() => n.stop());
    return n;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    tmp = await tempDir();
  });
  // Each test stops its nodes: nodes left running would all handle every later test's events in
  // this one process (and hold up hard-realtime waits), which made the last test slow under load.
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });
  afterAll(async () => {
    await nats.stop();
    await tmp.remove();
  });

  it('HTTP ingest accepts an object, an array, JSON lines and a JSON-encoded string; hard realtime returns once counters reflect it', async () => {
    const n = await node('http-ingest', [path.join(SHIPPED_MODULES, 'testmodule')]);
    const post = async (body: string) => {
      const r = await fetch(`http://${n.httpAddress}/events?wait=handlers&timeout=10000`, { method: 'POST', body });
      return (await r.json()) as { accepted: number; rejected: { index: number; message: string }[] };
    };
    expect((await post(JSON.stringify({ id: 'h1', event: 'hello' }))).accepted).toBe(1);
    expect(
      (
        await post(
          JSON.stringify([
            { id: 'h2', event: 'hello' },
            { id: 'h3', event: 'hello' },
          ]),
        )
      ).accepted,
    ).toBe(2);
    const lines = await post(`{"id":"h4","event":"hello"}\n{broken\n{"id":"h5","event":"hello"}\n`);
    expect(lines.accepted).toBe(2);
    expect(lines.rejected).toEqual([{ index: 1, message: expect.stringMatching(/^line 2: not JSON/) }]);
    expect((await post(JSON.stringify(JSON.stringify({ id: 'h6', event: 'hello' })))).accepted).toBe(1);
    // wait=handlers returned: the counter already reflects all six.
    const mesh = await connect({ nodes: [n.grpcAddress] });
    expect(await mesh.query.djt_event_count!()).toBe(6);
    await mesh.close();
  });

  it('a poison event lands in the dead-letter subject while the others flow; the CLI lists and re-drives it', async () => {
    const n = await node('poison-node', [path.join(FIXTURE_MODULES, 'poison')], { events: { maxAttempts: 2 } });
    const conn = new NodeConnection(n.grpcAddress);
    cleanup.push(async () => conn.close());
    await conn.ingest([
      ...testEvents(20, 1000),
      { id: 'bad-1', time: '2026-01-05T10:00:00Z', source: 'test', type: 'tick', payload: { poison: true } },
      ...testEvents(20, 2000),
    ]);
    const mesh = await connect({ nodes: [n.grpcAddress] });
    cleanup.push(() => mesh.close());
    // Its consumer starts at the beginning: the 6 test events of the previous test count too.
    await expect.poll(() => mesh.query.good!(), { timeout: 30_000 }).toBe(46);
    await expect
      .poll(async () => (await runCli(['events', 'dlq', '--json', '--nats', nats.url], natsEnv(nats, 'operator'))).stdout, {
        timeout: 30_000,
      })
      .toContain('bad-1');
    const listed = JSON.parse(
      (await runCli(['events', 'dlq', '--json', '--nats', nats.url], natsEnv(nats, 'operator'))).stdout,
    ) as {
      handler: string;
      attempts: number;
      error: string;
    }[];
    expect(listed).toEqual([
      expect.objectContaining({ handler: 'picky', attempts: 2, error: expect.stringMatching(/poison event bad-1/) }),
    ]);
    const table = (await runCli(['events', 'dlq', '--nats', nats.url], natsEnv(nats, 'operator'))).stdout;
    expect(table).toMatch(/poison\.picky\s+tick bad-1/);
    const redrive = await runCli(['events', 'dlq', '--redrive', '--nats', nats.url], natsEnv(nats, 'operator'));
    expect(redrive.stdout).toMatch(/re-drove 1 event/);
  }, 90_000);

  it('a module added after 5,000 events sees all of them (replay from the beginning)', async () => {
    const first = await node('early', [path.join(SHIPPED_MODULES, 'testmodule')]);
    const conn = new NodeConnection(first.grpcAddress);
    cleanup.push(async () => conn.close());
    for (let i = 0; i < 5; i++) await conn.ingest(testEvents(1000, 100_000 + i * 1000));
    const late = await node('late', [path.join(FIXTURE_MODULES, 'counter')]);
    const mesh = await connect({ nodes: [late.grpcAddress] });
    cleanup.push(() => mesh.close());
    // Every test-source event in the stream so far, including the earlier tests' ones.
    // Every test-source event in the stream: these 5,000, the HTTP test's 6, the poison test's 41.
    await expect.poll(() => mesh.query.count!(), { timeout: 60_000, interval: 200 }).toBe(5000 + 6 + 41);
  }, 90_000);

  it.skipIf(NO_MONGODB)(
    'a scheduled job fires once per tick with two replicas sharing MongoDB, and its refresh of a memoized query serves both (cron + memoize)',
    async () => {
      const mongo = await startSharedMongo();
      cleanup.push(() => mongo.stop());
      const file = path.join(tmp.dir, 'ticks.txt');
      await writeFile(file, '');
      process.env.TICKER_FILE = file;
      const a = await node('ticker-a', [path.join(FIXTURE_MODULES, 'ticker')], { db: mongo.nodeDb });
      const b = await node('ticker-b', [path.join(FIXTURE_MODULES, 'ticker')], { db: mongo.nodeDb });
      await new Promise((r) => setTimeout(r, 3500));
      for (const n of [a, b]) n.events.scheduler.stop();
      // Never two runs for one tick: every run in the file claimed its own tick key in the lease bucket.
      const nc = await natsConnect(nats.connectOptions('admin'));
      cleanup.push(() => nc.close());
      const leases = await new Kvm(nc).open('insights-jobs');
      const claimed = async () => {
        let n = 0;
        for await (const _ of await leases.keys('ticker.tick.>')) n++;
        return n;
      };
      const runs = async () => (await readFile(file, 'utf8')).trim().split('\n').filter(Boolean).length;
      // A tick claimed just before the stop may still be starting: wait for its line.
      await expect
        .poll(async () => ({ runs: await runs(), claimed: await claimed() }), { timeout: 10_000 })
        .toSatisfy((r: { runs: number; claimed: number }) => r.runs === r.claimed && r.runs >= 2);
      delete process.env.TICKER_FILE;
      // Memoized results live in the shared database: whichever replica ran the tick, both answer
      // its result and neither computes on demand (the two replicas share one module instance in
      // this process, so `computations` counts both). The last tick's refresh finishing mid-check retries it.
      const meshes = await Promise.all([a, b].map((n) => connect({ nodes: [n.grpcAddress] })));
      cleanup.push(() => Promise.all(meshes.map((m) => m.close())).then(() => undefined));
      const [ma, mb] = meshes as [Mesh, Mesh];
      await expect
        .poll(
          async () => {
            const before = (await ma.query.computations!()) as number;
            const answers = (await Promise.all([ma.query.big_computation!(), mb.query.big_computation!()])) as {
              computedAt: number;
            }[];
            const after = (await ma.query.computations!()) as number;
            return { computedOnDemand: after - before, sameResult: answers[0]?.computedAt === answers[1]?.computedAt };
          },
          { timeout: 15_000, interval: 100 },
        )
        .toEqual({ computedOnDemand: 0, sameResult: true });
    },
    60_000,
  );

  it('the same 10,000 events sent twice, with a node killed by SIGKILL in the middle: every counter exactly right', async () => {
    const dataDir = path.join(tmp.dir, 'victim');
    const args = [
      '--id',
      'victim',
      '--nats',
      nats.url,
      '--isolation',
      'inline',
      '--data-dir',
      dataDir,
      '--module',
      path.join(SHIPPED_MODULES, 'testmodule'),
    ];
    const victim = await spawnNode(args, natsEnv(nats, 'node'));
    const events = Array.from({ length: 10_000 }, (_, i) => ({ id: `k-${i}`, event: 'kill-test', user: `learner${i % 100}` }));
    const conn = new NodeConnection(victim.ready.grpc);
    const first = conn.ingest(events.slice(0, 5000)).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 400));
    victim.proc.kill('SIGKILL');
    await first;
    conn.close();
    const again = await spawnNode(args, natsEnv(nats, 'node'));
    cleanup.push(() => again.stop());
    const conn2 = new NodeConnection(again.ready.grpc);
    cleanup.push(async () => conn2.close());
    // Everything, twice over: the part that reached the stream before the kill is dropped as duplicate.
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 10_000; i += 2000) await conn2.ingest(events.slice(i, i + 2000), { timeoutMs: 60_000 });
    const mesh = await connect({ nodes: [again.ready.grpc] });
    cleanup.push(() => mesh.close());
    await expect
      .poll(() => mesh.query.djt_user_event_count!({ user: 'learner7' }), { timeout: 30_000, interval: 250 })
      .toBe(100)
      .catch((e: Error) => {
        throw new Error(`${e.message}\n--- node log ---\n${again.stderr().slice(-3000)}`);
      });
    const totals = await Promise.all(
      Array.from({ length: 100 }, (_, u) => mesh.query.djt_user_event_count!({ user: `learner${u}` })),
    );
    expect(totals.every((t) => t === 100)).toBe(true);
  }, 90_000);

  it('plain NATS publish to the ingest subject reaches the handlers; hard realtime after a long replay leaves nothing in flight', async () => {
    // A short ack wait: a consumer that buffered more than it could handle within it had its
    // buffer redelivered, and those copies counted again after the wait for handlers returned.
    const n = await node('nats-ingest', [path.join(FIXTURE_MODULES, 'counter')], { events: { ackWaitMs: 2000 } });
    const mesh = await connect({ nodes: [n.grpcAddress] });
    cleanup.push(() => mesh.close());
    // Hard realtime on a marker event while this new consumer replays the whole stream: once it
    // returns, this node has caught up, and nothing more arrives later.
    await n.events.ingest(testEvents(1, 800_000), { waitForHandlers: true, timeoutMs: 60_000 });
    const before = (await mesh.query.count!()) as number;
    await new Promise((r) => setTimeout(r, 3000));
    expect(await mesh.query.count!()).toBe(before);
    expect(n.events.handlerStats()[0]?.redelivered).toBe(0);
    const nc = await natsConnect(nats.connectOptions('admin'));
    const reply = await nc.request('insights.ingest', new TextEncoder().encode(JSON.stringify(testEvents(2, 900_000))), {
      timeout: 5000,
    });
    expect(JSON.parse(new TextDecoder().decode(reply.data))).toMatchObject({ accepted: 2 });
    await nc.close();
    await expect.poll(() => mesh.query.count!(), { timeout: 10_000 }).toBe(before + 2);
  }, 120_000);
});
