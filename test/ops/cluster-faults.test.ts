import path from 'node:path';
import { connect, NodeConnection, type Mesh } from '@insights/client';
import { connect as natsConnect, nkeyAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type ClusterNode, type LocalCluster } from '../../deploy/local/cluster.ts';
import { NO_NATS } from '../support/nats.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';

const examples = path.join(SHIPPED_MODULES, 'examples');
const counter = path.join(FIXTURE_MODULES, 'counter');
const caller = path.join(FIXTURE_MODULES, 'caller');
const echo = path.join(FIXTURE_MODULES, 'echo');
const tally = path.join(import.meta.dirname, 'fixtures', 'tally');
// The production TTL: a heartbeat lost with a NATS server must not drop a live node.
const TTL_MS = 6000;
/** The test's own NATS connection: the admin user (streams, consumers, leaders). */
const adminOf = (cluster: LocalCluster, urls: readonly string[]): ConnectionOptions => ({
  servers: [...urls],
  authenticator: nkeyAuthenticator(new TextEncoder().encode(cluster.nats.auth.seeds.admin)),
});
const step = (m: string) =>
  process.env.OPS_DEBUG && process.stderr.write(`[ops ${new Date().toISOString().slice(11, 23)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Envelope events the counter fixture counts exactly once each. */
const batch = (prefix: string, n: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${from + i}`,
    time: '2026-01-05T10:00:00Z',
    source: 'test',
    type: 'tick',
    payload: {},
  }));

interface Tally {
  /** Distinct event ids the node's handler stored: below what was sent means an event was lost. */
  distinct: number;
  /** Times the handler got them: above `distinct` means redeliveries (harmless for idempotent handlers). */
  deliveries: number;
  /** The counter fixture (updateOnce on one document): above `distinct` means it counted a redelivery twice. */
  counter: number;
}

/** Every node's own view of the test events (each node keeps its own state: embedded db, own durable). */
async function tallies(cluster: LocalCluster): Promise<Record<string, Tally>> {
  const out: Record<string, Tally> = {};
  for (const n of cluster.nodes.values()) {
    const c = new NodeConnection(n.grpc);
    const q = async (name: string) => {
      const r = await c.call({ kind: 'query', name, args: {}, deadline: Date.now() + 5000 });
      return r.type === 'json' ? r.value : undefined;
    };
    try {
      const t = (await q('tally.tally')) as { distinct: number; deliveries: number };
      out[n.id] = { ...t, counter: (await q('counter.count')) as number };
    } catch {
      out[n.id] = { distinct: -1, deliveries: -1, counter: -1 };
    } finally {
      c.close();
    }
  }
  return out;
}

const distinct = async (cluster: LocalCluster) => Object.values(await tallies(cluster)).map((t) => t.distinct);

async function metric(node: ClusterNode, name: string, label: string): Promise<number> {
  const text = await (await fetch(`http://${node.http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Call load: `workers` loops, each calling three idempotent analytics in turn (replicated
 * hello_user on lms-1/lms-2; greet_via_mesh on forums-1, which calls lms through the mesh;
 * course_report on wiki-1) until `stop()`. Calls get 15 s: the client waits out a node that is
 * restarting, within that deadline.
 */
function callLoad(mesh: Mesh, workers: number) {
  let running = true;
  const ok: Record<string, number> = { hello_user: 0, greet_via_mesh: 0, course_report: 0 };
  const failures: string[] = [];
  let slowestMs = 0;
  const calls: [string, () => Promise<unknown>, unknown][] = [
    ['hello_user', () => mesh.query.hello_user!({ user: 'u' }, { timeoutMs: 15_000 }), 'Hello, u!'],
    ['greet_via_mesh', () => mesh.query.greet_via_mesh!({ user: 'v' }, { timeoutMs: 15_000 }), 'relayed: Hello, v!'],
    ['course_report', () => mesh.query.course_report!({ course: 'C1' }, { timeoutMs: 15_000 }), { course: 'C1' }],
  ];
  const done = Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = w; running; i++) {
        const [name, call, expected] = calls[i % calls.length]!;
        const t0 = Date.now();
        try {
          expect(await call()).toEqual(expected);
          ok[name]!++;
        } catch (e) {
          failures.push(`${name}: ${(e as Error).message}`);
        }
        slowestMs = Math.max(slowestMs, Date.now() - t0);
        await sleep(5);
      }
    }),
  );
  return {
    async stop() {
      running = false;
      await done;
      return { ok, failures, slowestMs, total: Object.values(ok).reduce((a, b) => a + b, 0) };
    },
  };
}

describe.skipIf(NO_NATS)('ops - faults on the cluster topology (3 NATS servers, lms x2, forums, wiki, dashboard)', () => {
  let cluster: LocalCluster;
  let mesh: Mesh;
  let sent = 0;
  const clientLog: string[] = [];

  beforeAll(async () => {
    cluster = await startLocalCluster({
      modules: { lms: [examples, counter, tally], forums: [caller, counter, tally], wiki: [echo, counter, tally] },
      ttlMs: TTL_MS,
      isolation: 'inline',
    });
    step('cluster up');
    mesh = await connect({
      nats: cluster.nats.auth.settings([...cluster.nats.urls], 'client'),
      discoveryTimeoutMs: 5000,
      log: (_level, m) => clientLog.push(`${new Date().toISOString().slice(11, 23)} ${m}`),
    });
    for (let t = Date.now(); (await mesh.describe()).nodes.length < 4 && Date.now() - t < 15_000;) await sleep(100);
    // The faults start from a cluster that works: every node ready (which includes its own mesh
    // client having read the registry), nested calls across nodes answering.
    for (let t = Date.now(); Date.now() - t < 30_000; await sleep(200)) {
      const ready = await Promise.all([...cluster.nodes.values()].map(async (n) => (await fetch(`http://${n.http}/readyz`)).ok));
      const nested = await mesh.query.greet_via_mesh!({ user: 'w' }).catch(() => undefined);
      if (ready.every(Boolean) && nested === 'relayed: Hello, w!') break;
    }
  }, 120_000);

  afterAll(async () => {
    await mesh?.close();
    await cluster?.stop();
  }, 60_000);

  it('launcher - every node is ready, streams and buckets have three copies, the dashboard answers', async () => {
    expect((await mesh.describe()).nodes.map((n) => n.id).sort()).toEqual(['forums-1', 'lms-1', 'lms-2', 'wiki-1']);
    // Ready includes "my own mesh client has read the registry", which takes a moment after start.
    // Every module is bundled in its own process and started under bubblewrap now: give a loaded
    // machine time, and say what a node still waits for if it never gets there.
    for (const n of cluster.nodes.values())
      await expect
        .poll(
          async () => {
            const r = await fetch(`http://${n.http}/readyz`);
            return r.status === 200 ? 200 : `${r.status} ${await r.text()}`;
          },
          { timeout: 60_000 },
        )
        .toBe(200);
    const nc = await natsConnect(adminOf(cluster, cluster.nats.urls));
    const jsm = await jetstreamManager(nc);
    for (const s of ['INSIGHTS_EVENTS', 'INSIGHTS_DLQ', 'KV_insights-registry', 'KV_insights-jobs'])
      expect((await jsm.streams.info(s)).config.num_replicas).toBe(3);
    await nc.close();
    // Each node's own mesh client (nested calls) has found the others too.
    await expect
      .poll(() => mesh.query.greet_via_mesh!({ user: 'w' }).catch((e: Error) => e.message), { timeout: 15_000 })
      .toBe('relayed: Hello, w!');
    if (cluster.dashboardUrl !== undefined) expect((await fetch(`${cluster.dashboardUrl}/healthz`)).status).toBe(200);
    else console.log('dashboard not started: `insights dashboard` is not in this checkout');
  }, 120_000);

  it('nats - the events stream leader is killed under load: no event lost, no call failed, registry complete; it rejoins', async () => {
    const nc = await natsConnect(adminOf(cluster, cluster.nats.urls));
    const jsm = await jetstreamManager(nc);
    const leader = (await jsm.streams.info('INSIGHTS_EVENTS')).cluster?.leader;
    await nc.close();
    const victim = cluster.nats.members.find((m) => m.name === leader) ?? cluster.nats.members[0]!;
    // Load: 6 call workers, and 40 batches of 100 events sent back to back through the mesh
    // (a failed batch is sent again with the same ids: the stream drops duplicates).
    const load = callLoad(mesh, 6);
    let minNodes = 4;
    let watching = true;
    const seenSets: string[] = [];
    const watchFrom = Date.now();
    const watch = (async () => {
      while (watching) {
        const ids = (await mesh.describe()).nodes.map((n) => n.id);
        minNodes = Math.min(minNodes, ids.length);
        const set = ids.join(',');
        if (seenSets.at(-1)?.endsWith(` ${set}`) !== true) seenSets.push(`+${Date.now() - watchFrom} ms ${set}`);
        await sleep(100);
      }
    })();
    let resent = 0;
    const ingest = (async () => {
      for (let b = 0; b < 40; b++) {
        const events = batch('nats-kill', 100, b * 100);
        for (;;) {
          try {
            await mesh.events.ingest(events, { timeoutMs: 10_000 });
            break;
          } catch {
            resent++;
            await sleep(200);
          }
        }
        step(`batch ${b} sent`);
        if (b === 8) {
          step(`killing ${victim.name} at +${Date.now() - watchFrom} ms`);
          await victim.kill();
        }
      }
    })();
    await ingest;
    sent += 4000;
    await sleep(500);
    const calls = await load.stop();
    watching = false;
    await watch;
    step('load done');
    if (calls.failures.length > 0)
      console.log(
        `forums-1 log:\n${cluster.nodes
          .get('forums-1')!
          .stderr()
          .split('\n')
          .filter((l) => !l.includes('"info"'))
          .slice(-15)
          .join('\n')}`,
      );
    await victim.start();
    step('nats restarted');
    // Every node's handlers got every event: no id missing (tally), nothing uncounted (counter).
    const t0 = Date.now();
    await expect.poll(() => distinct(cluster), { timeout: 30_000, interval: 500 }).toEqual([sent, sent, sent, sent]);
    await expect
      .poll(async () => Object.values(await tallies(cluster)).every((t) => t.counter >= sent), { timeout: 30_000, interval: 500 })
      .toBe(true);
    const caughtUpMs = Date.now() - t0;
    const seen = await tallies(cluster);
    // It rejoined: a client of that server alone sees the whole registry, and its copy of the stream is current.
    const solo = await connect({
      nats: cluster.nats.auth.settings(victim.url, 'client'),
      discoveryTimeoutMs: 5000,
      log: () => {},
    });
    await expect.poll(async () => (await solo.describe()).nodes.length, { timeout: 10_000 }).toBe(4);
    await solo.close();
    const nc2 = await natsConnect(adminOf(cluster, [victim.url]));
    await expect
      .poll(
        async () => {
          const c = (await (await jetstreamManager(nc2)).streams.info('INSIGHTS_EVENTS')).cluster;
          return [c?.leader, ...(c?.replicas ?? []).filter((r) => r.current).map((r) => r.name)].filter(Boolean).length;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(3);
    await nc2.close();
    console.log(
      `killed ${victim.name} (events stream leader ${leader}) mid-ingest: 4000 events sent (${resent} batch re-sends), every node stored all ${sent} ids (all handlers caught up ${caughtUpMs} ms after the load); ` +
        `per node ${JSON.stringify(seen)}; ` +
        `calls ${JSON.stringify(calls.ok)} ok, ${calls.failures.length} failed, slowest ${calls.slowestMs} ms; registry never below ${minNodes} nodes`,
    );
    expect(calls.failures).toEqual([]);
    expect(calls.total).toBeGreaterThan(100);
    // While a leader moves, the registry can neither take heartbeats nor deliver them: that
    // silence is not held against the nodes, so the view keeps all four throughout.
    console.log(`registry view minimum during the NATS kill: ${minNodes} of 4 nodes; views: ${seenSets.join(' | ')}`);
    if (minNodes < 4) {
      console.log(`client log:\n${clientLog.slice(-10).join('\n')}`);
      for (const n of cluster.nodes.values())
        console.log(
          `${n.id} warnings:\n${n
            .stderr()
            .split('\n')
            .filter((l) => l.includes('"warn"'))
            .slice(-8)
            .join('\n')}`,
        );
    }
    expect(minNodes).toBe(4);
    // Acks lost while the leader moved bring events back long after they were handled: each node
    // recognises them (AckLedger) instead of counting them again.
    expect(Object.values(seen).map((t) => t.counter)).toEqual([sent, sent, sent, sent]);
  }, 120_000);

  it('node - SIGKILL of a node while its handler consumes, then restart: its durable consumer resumes where it was', async () => {
    const victim = cluster.nodes.get('forums-1')!;
    const durable = 'h_tally_tally_all__forums-1';
    const nc = await natsConnect(adminOf(cluster, cluster.nats.urls));
    const jsm = await jetstreamManager(nc);
    // 5,000 events through lms-1 (not the victim), sent while the victim consumes them; it is killed after the first 2,000.
    const lms = new NodeConnection(cluster.nodes.get('lms-1')!.grpc);
    for (let b = 0; b < 50; b++) {
      await lms.ingest(batch('node-kill', 100, b * 100));
      if (b === 20) await victim.kill();
    }
    lms.close();
    sent += 5000;
    const atKill = await jsm.consumers.info('INSIGHTS_EVENTS', durable);
    const ackFloor = atKill.ack_floor.stream_seq;
    const streamLast = (await jsm.streams.info('INSIGHTS_EVENTS')).state.last_seq;
    // Events stored above the floor (a batch ingest's page holds many: its index line lists them).
    let eventsAfterFloor = 0;
    for (let seq = ackFloor + 1; seq <= streamLast; seq++) {
      const m = await jsm.streams.getMessage('INSIGHTS_EVENTS', { seq });
      const page = m?.subject.startsWith('insights.events.=.') === true;
      eventsAfterFloor += page
        ? (JSON.parse(new TextDecoder().decode(m.data.subarray(0, m.data.indexOf(10)))) as { events: unknown[] }).events.length
        : 1;
    }
    await victim.start();
    await expect.poll(async () => (await tallies(cluster))['forums-1']?.distinct, { timeout: 30_000, interval: 300 }).toBe(sent);
    await expect
      .poll(async () => Object.values(await tallies(cluster)).every((t) => t.counter >= sent), { timeout: 30_000, interval: 300 })
      .toBe(true);
    // The restarted process counts what it processed itself: only what came after the ack floor.
    const processedAfter = await metric(victim, 'insights_events_processed_total', durable);
    const lag = await metric(victim, 'insights_event_consumer_lag', durable);
    await nc.close();
    const seen = await tallies(cluster);
    console.log(
      `SIGKILL forums-1 after 2,100 of 5,000 events: ack floor ${ackFloor} of ${streamLast} stream messages at the kill; ` +
        `after restart it processed ${processedAfter} (not the ${streamLast} of a replay), lag ${lag}; per node ${JSON.stringify(seen)}`,
    );
    expect(processedAfter).toBeLessThanOrEqual(eventsAfterFloor);
    expect(processedAfter).toBeLessThan(sent);
    expect(ackFloor).toBeGreaterThan(0);
    expect(Object.values(seen).map((t) => t.distinct)).toEqual([sent, sent, sent, sent]);
    // The killed process's unacknowledged events come back to the restarted one, which handles
    // them before anything newer, while updateOnce still remembers those it had applied.
    expect(Object.values(seen).map((t) => t.counter)).toEqual([sent, sent, sent, sent]);
  }, 120_000);

  it('rolling - every node restarted one by one (SIGTERM, wait ready) under call load: zero failed idempotent calls', async () => {
    const load = callLoad(mesh, 8);
    const order = ['lms-1', 'lms-2', 'forums-1', 'wiki-1'];
    const downMs: Record<string, number> = {};
    for (const id of order) {
      const node = cluster.nodes.get(id)!;
      await sleep(400);
      const t0 = Date.now();
      await node.stop();
      step(`${id} stopped after ${Date.now() - t0} ms:\n${node.stderr().split('\n').slice(-12).join('\n')}`);
      await node.start();
      step(`${id} started after ${Date.now() - t0} ms`);
      await expect
        .poll(async () => (await fetch(`http://${node.http}/readyz`)).status, { timeout: 15_000, interval: 100 })
        .toBe(200);
      downMs[id] = Date.now() - t0;
    }
    await sleep(400);
    const r = await load.stop();
    console.log(
      `rolling restart (SIGTERM, start, ready) of ${order.join(', ')}: down ${JSON.stringify(downMs)} ms; ` +
        `8 workers: ${r.total} calls ok ${JSON.stringify(r.ok)}, ${r.failures.length} failed, slowest ${r.slowestMs} ms`,
    );
    expect(r.failures).toEqual([]);
    for (const n of Object.values(r.ok)) expect(n).toBeGreaterThan(20);
  }, 120_000);
});
