import { connect, type Mesh } from '@insights/client';
import {
  Advertiser,
  createMeshNatsAuth,
  nodeViewSchema,
  openRegistryBucket,
  RegistryView,
  RegistryWatcher,
  type RegistryEntry,
} from '@insights/registry';
import { connect as natsConnect, nkeyAuthenticator } from '@nats-io/transport-node';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES, FIXTURE_MODULES } from '../support/tmp.ts';
import { freePort } from '../../deploy/local/processes.ts';

const TTL_MS = 1500;

describe.skipIf(NO_NATS)('mesh - registry on a real NATS server', () => {
  let nats: NatsServer;
  const nodes: TestNode[] = [];
  let mesh: Mesh;
  const warnings: string[] = [];

  const startNode = async (id: string, labels: string[], modules: string[]) => {
    const n = await startTestNode({
      id,
      labels,
      nats: nats.as('node'),
      registry: { ttlMs: TTL_MS },
      defaultIsolation: 'inline',
      modules: modules.map((m) => (m.startsWith('/') ? m : path.join(SHIPPED_MODULES, m))),
    });
    nodes.push(n);
    return n;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    await Promise.all([
      startNode('lms', ['lms'], ['examples']),
      startNode('forums', ['forums'], ['testmodule']),
      startNode('wiki', ['wiki'], [path.join(FIXTURE_MODULES, 'slow'), path.join(FIXTURE_MODULES, 'caller')]),
    ]);
    mesh = await connect({ nats: nats.as('client'), log: (_l, m) => warnings.push(m) });
  }, 60_000);

  afterAll(async () => {
    await mesh?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await nats?.stop();
  });

  it('discovers three nodes and merges their analytics into one proxy', async () => {
    await expect
      .poll(async () => (await mesh.describe()).nodes.map((n) => n.id).sort(), { timeout: 5000 })
      .toEqual(['forums', 'lms', 'wiki']);
    expect(Object.keys(mesh.query)).toEqual(expect.arrayContaining(['hello_user', 'djt_fake_user_count', 'sleep']));
    expect(await mesh.query.hello_user!({ user: 'ada' })).toBe('Hello, ada!');
    expect(await mesh.query.djt_fake_user_count!()).toBe(2);
    const d = await mesh.describe();
    expect(d.nodes.find((n) => n.id === 'forums')?.labels).toEqual(['forums']);
    expect(d.analytics.find((a) => a.name === 'djt_fake_user_count' && a.kind === 'query')?.nodes).toEqual(['forums']);
  });

  it("a module's nested call reaches an analytic on another node", async () => {
    // caller runs on wiki; examples.hello_user runs on lms.
    await expect
      .poll(() => mesh.query.greet_via_mesh!({ user: 'ada' }).catch((e: Error) => e.message), { timeout: 5000 })
      .toBe('relayed: Hello, ada!');
  });

  it('sees a node join live, and a cleanly stopped node leave at once', async () => {
    const extra = await startNode('extra', ['lms'], ['testmodule']);
    await expect.poll(async () => (await mesh.describe()).nodes.some((n) => n.id === 'extra'), { timeout: 5000 }).toBe(true);
    // testmodule now runs on two nodes: the same analytic with two replicas, not a collision.
    expect(
      (await mesh.describe()).analytics
        .find((a) => a.name === 'djt_fake_user_count' && a.kind === 'query')
        ?.nodes.slice()
        .sort(),
    ).toEqual(['extra', 'forums']);
    const t0 = Date.now();
    await extra.close();
    await expect.poll(async () => (await mesh.describe()).nodes.some((n) => n.id === 'extra'), { timeout: 5000 }).toBe(false);
    expect(Date.now() - t0).toBeLessThan(TTL_MS); // withdrawn, not expired
    nodes.splice(nodes.indexOf(extra), 1);
    await extra.stop();
  });

  it('a name defined by two different modules is never silently resolved', async () => {
    const clash = await startNode('clash', [], [path.join(FIXTURE_MODULES, 'clash')]);
    await expect.poll(async () => (await mesh.describe()).nodes.some((n) => n.id === 'clash'), { timeout: 5000 }).toBe(true);
    await expect(mesh.query.hello_user!({ user: 'x' })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      suggestions: expect.arrayContaining(['examples.hello_user', 'clash.hello_user']),
    });
    expect(await mesh.query['clash.hello_user']!({ user: 'x' })).toBe('clash says hi to x');
    nodes.splice(nodes.indexOf(clash), 1);
    await clash.stop();
  });

  it('ignores and reports a malformed advertisement, and keeps working', async () => {
    const nc = await natsConnect(nats.connectOptions('admin'));
    const kv = await openRegistryBucket(nc);
    await kv.put('node.garbage', '{"this is": not json');
    await kv.put('node.wrong', JSON.stringify({ v: 1, id: 'wrong', grpcAddress: 42 }));
    await nc.close();
    await expect.poll(() => warnings.some((w) => w.includes('node.wrong')), { timeout: 5000 }).toBe(true);
    expect(warnings.some((w) => w.includes('node.garbage'))).toBe(true);
    expect(await mesh.query.hello_user!({ user: 'still' }).catch((e: Error) => e.message)).toMatch(
      /Hello, still!|FAILED_PRECONDITION|several modules/,
    );
    expect((await mesh.describe()).nodes.map((n) => n.id)).not.toContain('wrong');
  });

  it('unknown analytic: NOT_FOUND listing near names', async () => {
    await expect(mesh.query.helo_user!({})).rejects.toMatchObject({
      code: 'NOT_FOUND',
      suggestions: expect.arrayContaining(['hello_user']),
    });
  });
});

describe('registry view - liveness and time without NATS', () => {
  const TTL = 6000;
  const ad = (id: string, description = '') =>
    JSON.stringify({
      v: 1,
      id,
      grpcAddress: `${id}:1`,
      state: 'serving',
      ttlMs: TTL,
      updatedAt: 'x',
      modules: [{ name: description || 'm' }],
    });
  const beat = (seq = 0) => JSON.stringify({ v: 1, ttlMs: TTL, state: 'serving', seq });
  const entry = (key: string, value: string, created = 0): RegistryEntry => ({
    key,
    operation: 'PUT',
    created: new Date(created),
    string: () => value,
  });
  const ids = (v: RegistryView, at: number) => v.nodes(at).map((n) => n.id);
  /** Four nodes heard at t = 0..300 ms, listed once. */
  const fourNodes = () => {
    const v = new RegistryView(undefined, 0);
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
      v.applyLive(entry(`node.${id}`, ad(id)), i * 100);
      v.applyLive(entry(`alive.${id}`, beat()), i * 100);
    }
    expect(v.changed(300)?.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd']);
    return v;
  };

  it('a heartbeat or an unchanged advertisement is not a change; a changed one is', () => {
    const v = fourNodes();
    v.applyLive(entry('alive.b', beat(1)), 2000);
    v.applyLive(entry('node.b', ad('b')), 2001);
    expect(v.changed(2002)).toBeUndefined();
    v.applyLive(entry('node.b', ad('b', 'other')), 2003);
    expect(v.changed(2004)?.find((n) => n.id === 'b')?.modules[0]?.name).toBe('other');
  });

  it('a delete marker takes one key: an advertisement restored before the heartbeat is deleted is kept; both deleted withdraws the node', () => {
    const v = fourNodes();
    const del = (key: string, at: number) => v.applyLive({ ...entry(key, ''), operation: 'DEL' }, at);
    // Someone deletes node.b, its owner writes it back, then alive.b is deleted and written back.
    del('node.b', 1000);
    expect(v.changed(1000)?.map((n) => n.id)).toEqual(['a', 'c', 'd']);
    v.applyLive(entry('node.b', ad('b')), 1010);
    del('alive.b', 1020);
    expect(ids(v, 1020)).toEqual(['a', 'c', 'd']);
    v.applyLive(entry('alive.b', beat(2)), 1030);
    expect(v.changed(1030)?.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd']);
    // A withdrawal deletes both keys: the node is gone, and a later heartbeat alone does not bring it back.
    del('node.c', 1040);
    del('alive.c', 1040);
    expect(v.changed(1050)?.map((n) => n.id)).toEqual(['a', 'b', 'd']);
    v.applyLive(entry('alive.c', beat(3)), 1060);
    expect(ids(v, 1060)).toEqual(['a', 'b', 'd']);
  });

  it('a node that stops beating while others beat is dropped after its TTL', () => {
    const v = fourNodes();
    for (let t = 2000; t <= 8000; t += 2000) for (const id of ['b', 'c', 'd']) v.applyLive(entry(`alive.${id}`, beat()), t);
    expect(ids(v, 6000)).toContain('a');
    expect(v.changed(8000)?.map((n) => n.id)).toEqual(['b', 'c', 'd']);
  });

  it("a heartbeat the server expires: the server's removal marker drops the node at once; with no marker, the timer waits the slack longer", () => {
    const v = new RegistryView(undefined, 0);
    const serverBeat = () => JSON.stringify({ v: 1, ttlMs: TTL, state: 'serving', seq: 0, serverTtl: true });
    for (const id of ['a', 'b']) {
      v.applyLive(entry(`node.${id}`, ad(id)), 0);
      v.applyLive(entry(`alive.${id}`, serverBeat()), 0);
    }
    v.applyLive(entry('node.c', ad('c')), 0);
    const cBeats = (from: number, to: number) => {
      for (let t = from; t <= to; t += 2000) v.applyLive(entry('alive.c', beat()), t);
    };
    cBeats(0, 6000);
    expect(v.changed(6500)?.map((n) => n.id)).toEqual(['a', 'b', 'c']); // past their TTL, but the server has not spoken
    v.applyLive({ ...entry('alive.a', ''), operation: 'PURGE' }, 6600);
    expect(v.changed(6600)?.map((n) => n.id)).toEqual(['b', 'c']);
    cBeats(8000, 8000);
    expect(ids(v, 7900)).toEqual(['b', 'c']);
    expect(ids(v, 8100)).toEqual(['c']); // b's marker never came (a watch rebuilt after it expired): the fallback
  });

  it('removal markers that come out of an outage (the bucket did not answer during the silence) are not believed for a TTL; after a silence the bucket answered, they are', () => {
    const serverBeat = () => JSON.stringify({ v: 1, ttlMs: TTL, state: 'serving', seq: 0, serverTtl: true });
    const fourServerNodes = () => {
      const v = new RegistryView(undefined, 0);
      for (const id of ['a', 'b', 'c', 'd']) {
        v.applyLive(entry(`node.${id}`, ad(id)), 0);
        v.applyLive(entry(`alive.${id}`, serverBeat()), 0);
      }
      expect(v.changed(0)?.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd']);
      return v;
    };
    const purge = (v: RegistryView, id: string, at: number) =>
      v.applyLive({ ...entry(`alive.${id}`, ''), operation: 'PURGE' }, at);
    // A bucket leader elected for 6.2 s: nobody could write, the new leader expires a and b at once.
    const election = fourServerNodes();
    expect(election.beatGapMs).toBe(2000);
    election.noteUnreachable();
    purge(election, 'a', 6200);
    purge(election, 'b', 6210);
    expect(election.changed(6210)).toBeUndefined();
    for (const id of ['a', 'c', 'd']) election.applyLive(entry(`alive.${id}`, serverBeat()), 6400);
    expect(ids(election, 6400)).toEqual(['a', 'b', 'c', 'd']);
    // b never writes again (it died during the outage): it lapses by the watcher's clock, a TTL after
    // the outage less one beat interval (the credit every node gets), not at the server's marker.
    for (let t = 8400; t <= 12_400; t += 2000)
      for (const id of ['a', 'c', 'd']) election.applyLive(entry(`alive.${id}`, serverBeat()), t);
    expect(ids(election, 10_000)).toEqual(['a', 'b', 'c', 'd']);
    expect(ids(election, 12_400)).toEqual(['a', 'c', 'd']);
    // A marker a TTL after the outage is believed again.
    purge(election, 'c', 14_000);
    expect(ids(election, 14_000)).toEqual(['a', 'd']);
    // A quiet mesh, the bucket answering: the silence was the nodes', a marker after it is believed at once.
    const quiet = fourServerNodes();
    purge(quiet, 'a', 6200);
    expect(quiet.changed(6200)?.map((n) => n.id)).toEqual(['b', 'c', 'd']);
    // A note about a silence that ended before the note's silence: only the silence it was taken in counts.
    const late = fourServerNodes();
    late.noteUnreachable();
    for (const id of ['a', 'b', 'c', 'd']) late.applyLive(entry(`alive.${id}`, serverBeat()), 3000);
    // Within a TTL of that silence's end, a marker may still be the outage's (a server that got
    // JetStream back later than this watcher's): the timer decides.
    purge(late, 'b', 3000 + TTL - 100);
    expect(ids(late, 3000 + TTL - 100)).toEqual(['a', 'b', 'c', 'd']);
    purge(late, 'a', 3000 + TTL + 100);
    expect(ids(late, 3000 + TTL + 100)).toEqual(['b', 'c', 'd']);
  });

  it('a rebuilt snapshot takes a purge (a server back from an outage marks every heartbeat expired) as absence, a delete as a withdrawal', () => {
    const s = new RegistryView(undefined, 0);
    s.applySnapshot(entry('node.a', ad('a'), 0));
    s.applySnapshot({ ...entry('alive.a', '', 7000), operation: 'PURGE' });
    s.applySnapshot(entry('node.b', ad('b'), 0));
    s.applySnapshot({ ...entry('alive.b', '', 200), operation: 'DEL' });
    for (const id of ['c', 'd']) {
      s.applySnapshot(entry(`node.${id}`, ad(id), 0));
      s.applySnapshot(entry(`alive.${id}`, beat(), 7000));
    }
    s.adopt(fourNodes(), true, 7100);
    expect(s.changed(7100)?.map((n) => n.id)).toEqual(['a', 'c', 'd']);
    // a still has to beat: it never does again and goes after its TTL.
    for (let t = 8000; t <= 14_000; t += 2000) for (const id of ['c', 'd']) s.applyLive(entry(`alive.${id}`, beat()), t);
    expect(ids(s, 14_000)).toEqual(['c', 'd']);
  });

  it('a registry that goes silent for longer than a TTL drops no node, not even when the first beat comes back', () => {
    const v = fourNodes();
    expect(ids(v, 9000)).toEqual(['a', 'b', 'c', 'd']); // silent: time stands still
    v.applyLive(entry('alive.c', beat()), 9000); // the first write after a bucket leader moved
    expect(v.changed(9000)).toBeUndefined();
    // Live nodes get their next beat in; one that never comes back is dropped within a TTL of the registry returning.
    for (let t = 10_500; t <= 16_500; t += 2000) for (const id of ['a', 'b', 'c']) v.applyLive(entry(`alive.${id}`, beat()), t);
    expect(ids(v, 12_500)).toEqual(['a', 'b', 'c', 'd']);
    expect(ids(v, 16_500)).toEqual(['a', 'b', 'c']);
  });

  it("a rebuilt snapshot: the server's write times decide, silence the bucket could not hear is not held against a node", () => {
    const snapshot = (writes: Record<string, number>) => {
      const s = new RegistryView(undefined, 0);
      for (const [id, at] of Object.entries(writes)) {
        s.applySnapshot(entry(`node.${id}`, ad(id), 0));
        s.applySnapshot(entry(`alive.${id}`, beat(), at));
      }
      return s;
    };
    // The bucket answered at once and nothing was written for 6.5 s: those nodes are gone.
    const gone = snapshot({ a: 0, b: 100, c: 200, d: 300 });
    gone.adopt(fourNodes(), false, 6800);
    expect(ids(gone, 6800)).toEqual([]);
    // The bucket refused the watcher until 6.8 s: nobody could write; all stay.
    const down = snapshot({ a: 0, b: 100, c: 200, d: 300 });
    down.adopt(fourNodes(), true, 6800);
    expect(ids(down, 6800)).toEqual(['a', 'b', 'c', 'd']);
    // Writes resumed at 6.5 s (a new leader): nodes not heard since get a TTL from then.
    const resumed = snapshot({ a: 0, b: 6500, c: 200, d: 300 });
    resumed.adopt(fourNodes(), false, 6800);
    expect(ids(resumed, 6800)).toEqual(['a', 'b', 'c', 'd']);
    for (let t = 8500; t <= 12_500; t += 2000) resumed.applyLive(entry('alive.b', beat()), t);
    expect(ids(resumed, 12_500)).toEqual(['b']);
  });

  it('a watch narrowed to its own keys keeps only its own node: the others are no longer heard, not absent', () => {
    const s = new RegistryView(undefined, 0);
    s.applySnapshot(entry('node.a', ad('a'), 0));
    s.applySnapshot(entry('alive.a', beat(), 250));
    s.adopt(fourNodes(), false, 300, (id) => id === 'a');
    expect(s.changed(300)?.map((n) => n.id)).toEqual(['a']);
    expect(s.isLive('a', 300)).toBe(true);
    expect(s.isLive('b', 300)).toBe(false);
  });

  it('a rebuilt snapshot that lacks entries keeps those nodes (absence is not a withdrawal); a delete marker removes one', () => {
    const s = new RegistryView(undefined, 0);
    s.applySnapshot(entry('node.a', ad('a'), 0));
    s.applySnapshot(entry('alive.a', beat(), 2100));
    s.applySnapshot({ ...entry('node.b', '', 2000), operation: 'DEL' });
    s.applySnapshot(entry('alive.d', beat(), 2200)); // its advertisement is missing
    // c is missing altogether
    s.adopt(fourNodes(), false, 2300);
    expect(s.changed(2300)?.map((n) => n.id)).toEqual(['a', 'c', 'd']);
    // A carried node still has to beat: c never does again and goes after its TTL.
    for (let t = 4000; t <= 8000; t += 2000) for (const id of ['a', 'd']) s.applyLive(entry(`alive.${id}`, beat()), t);
    expect(ids(s, 8000)).toEqual(['a', 'd']);
  });
});

describe.skipIf(NO_NATS)('registry watcher - started while the JetStream cluster is still forming', () => {
  it('keeps trying its first watch instead of giving up, and sees the nodes once the cluster answers', async () => {
    const ports = await Promise.all([0, 1, 2].map(async () => ({ client: await freePort(), route: await freePort() })));
    const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`);
    const auth = createMeshNatsAuth();
    const start = (i: number) =>
      startNatsServer({
        auth,
        port: ports[i]!.client,
        name: `s${i}`,
        cluster: { name: 'forming', port: ports[i]!.route, routes },
      });
    // One server of three: no JetStream meta leader, so every bucket request fails for now.
    const servers: NatsServer[] = [await start(0)];
    const nc = await natsConnect({
      servers: `nats://127.0.0.1:${ports[0]!.client}`,
      maxReconnectAttempts: -1,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(auth.seeds.admin as string)),
    });
    const retries: string[] = [];
    let watcher: RegistryWatcher | undefined;
    try {
      const started = RegistryWatcher.start(nc, {
        replicas: 3,
        timeoutMs: 1000,
        onRetry: (e, attempt) => retries.push(`${attempt}: ${e.message}`),
      }).then((w) => (watcher = w));
      await expect.poll(() => retries.length, { timeout: 15_000 }).toBeGreaterThan(0);
      expect(watcher).toBeUndefined();
      servers.push(await start(1), await start(2));
      await started;
      const ad = new Advertiser(nc, nodeViewSchema.parse({ id: 'late', grpcAddress: '127.0.0.1:1', state: 'serving' }), {
        replicas: 3,
      });
      await ad.start();
      await expect.poll(() => watcher!.nodes().map((n) => n.id), { timeout: 10_000 }).toEqual(['late']);
      await ad.withdraw();
    } finally {
      watcher?.close();
      await nc.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
  }, 60_000);
});
