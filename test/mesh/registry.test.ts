import { connect, type Mesh } from '@insights/client';
import { openRegistryBucket } from '@insights/registry';
import { connect as natsConnect } from 'nats';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES, FIXTURE_MODULES } from '../support/tmp.ts';

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
      nats: nats.url,
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
    mesh = await connect({ nats: nats.url, log: (_l, m) => warnings.push(m) });
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
    const nc = await natsConnect({ servers: nats.url });
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
