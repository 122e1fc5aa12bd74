import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EventEnvelope } from '@insights/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { failure, hostile, query, sandboxHost, sleep, waitFor } from './support.ts';

const event = (id: string, type: string): EventEnvelope => ({
  id,
  time: new Date().toISOString(),
  source: 'test',
  type,
  payload: {},
  raw: {},
});

/** Module code is identical in every sandbox: its resources work the same across the boundary. */
describe.each(['process', 'worker'] as const)('sandbox - resources across the boundary (%s)', (isolation) => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({
      modules: [
        { path: hostile('good'), isolation },
        { path: hostile('exiter'), isolation: 'inline' },
      ],
    });
  });
  afterAll(() => node.stop());

  it('resources - db: the module opens its own database, and its data outlives a reload', async () => {
    expect(await query(node, 'good.remember', { key: 'a', value: 'one' })).toBe('one');
    expect(await query(node, 'good.recall', { key: 'a' })).toBe('one');
    const pid = sandboxHost(node, 'good').pid;
    await node.reload('good');
    if (isolation === 'process') expect(sandboxHost(node, 'good').pid).not.toBe(pid);
    expect(await query(node, 'good.recall', { key: 'a' })).toBe('one');
  });

  it('resources - fs: files, signed URLs served by the node, expiry and sweep', async () => {
    const url = (await query(node, 'good.write_file', { name: 'plots/a.txt', text: 'hello' })) as string;
    expect(url).toMatch(/\/files\/good\/plots\/a\.txt\?exp=\d+&sig=[0-9a-f]{64}$/);
    expect(await (await fetch(url)).text()).toBe('hello');
    expect(await query(node, 'good.read_file', { name: 'plots/a.txt' })).toBe('hello');
    const old = (await query(node, 'good.write_file', { name: 'old.txt', text: 'x', expireIn: -1 })) as string;
    expect((await fetch(old)).status).toBe(404);
    expect(await sandboxHost(node, 'good').sweepFiles()).toEqual(['old.txt']);
  });

  it('resources - cache: kept in the sandbox between calls', async () => {
    const first = (await query(node, 'good.count')) as number;
    expect(await query(node, 'good.count')).toBe(first + 1);
  });

  it('resources - mesh: ctx.mesh goes back through the node, to a module in another isolation', async () => {
    expect(await query(node, 'good.call_other', { name: 'exiter.pid' })).toBe(process.pid);
    await sleep(1100); // names reach the sandbox as a snapshot, refreshed at most once a second
    expect(await query(node, 'good.mesh_names')).toEqual(
      expect.arrayContaining(['remember', 'good.remember', 'exiter.ping', 'good.ping']),
    );
    expect(await failure(query(node, 'good.call_other', { name: 'nowhere' }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it("resources - log: records leave through the node's logger under the module's name, which a module cannot spoof", async () => {
    expect(await query(node, 'good.say', { text: `hello from ${isolation}` })).toBe(true);
    await waitFor('log record', () => node.logs.some((r) => r.msg === `hello from ${isolation}`));
    expect(node.logs.find((r) => r.msg === `hello from ${isolation}`)).toMatchObject({ module: 'good', node: node.id, extra: 1 });
  });

  it('resources - progress and cancellation cross the boundary', async () => {
    const seen: string[] = [];
    const outcome = await node.dispatcher.call({
      kind: 'view',
      name: 'good.steps',
      args: { steps: 3 },
      deadline: Date.now() + 5000,
      onProgress: (f, m) => seen.push(`${f.toFixed(2)} ${m}`),
    });
    expect(outcome).toEqual({ type: 'html', html: '<p>done</p>' });
    expect(seen).toEqual(['0.00 step 1', '0.33 step 2', '0.67 step 3']);

    const before = (await query(node, 'good.aborted')) as number;
    const controller = new AbortController();
    const call = node.dispatcher.call({ kind: 'query', name: 'good.sleep', args: { ms: 5000 }, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await failure(call)).toMatchObject({ code: 'CANCELLED' });
    await waitFor('abort seen by the handler', async () => (await query(node, 'good.aborted')) === before + 1);
  });

  it('resources - event handlers, jobs, event properties and the data layer run inside the sandbox', async () => {
    const host = sandboxHost(node, 'good');
    const control = { deadline: Date.now() + 5000, signal: new AbortController().signal };
    expect(
      await host.handleEvents('store', [event('e1', 'test.a'), event('e2', 'other.b'), event('e3', 'test.c')], control),
    ).toBe(2);
    expect(await query(node, 'good.events_seen')).toBe(2);
    // The job also runs on its own every minute: count from what it was (a slow suite passes a minute).
    const ticks = (await query(node, 'good.ticks')) as number;
    await host.runJob('tick', control);
    expect(await query(node, 'good.ticks')).toBe(ticks + 1);
    expect(await host.computeProperty('test.shout', event('e4', 'test.x'))).toBe('TEST.X');
    expect(await host.normalise([{ raw: true }])).toEqual([{ type: 'unclaimed' }]);
  });

  it('resources - status: memory, calls and isolation are reported', async () => {
    const host = sandboxHost(node, 'good');
    expect(host.isolation).toBe(isolation);
    const s = host.status();
    expect(s).toMatchObject({ state: 'ready', restarts: 0, inFlight: 0 });
    expect(s.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(s.calls).toBeGreaterThan(10);
    if (isolation === 'process') {
      const { cwd } = (await query(node, 'good.whereami')) as { cwd: string };
      expect(existsSync(path.join(path.dirname(path.dirname(cwd)), 'db', 'good'))).toBe(true);
    }
  });
});
