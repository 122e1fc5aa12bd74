import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { failure, hostile, query, sandboxHost, sleep } from './support.ts';

/** The node's own event loop stalling (issue 15: deeply nested arguments did it) is not the sandbox's fault. */
describe('sandbox - a late node event loop', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ modules: [{ path: hostile('busy'), limits: { unresponsiveMs: 300 } }] });
  });
  afterAll(() => node.stop());

  it('a ping answered while the node itself was blocked does not get a healthy sandbox killed', async () => {
    const host = sandboxHost(node, 'busy');
    const pid = host.pid;
    // The deadline passes while the module naps (it is healthy): the node pings it, allowing 300 ms.
    expect(await failure(query(node, 'busy.nap', { ms: 3000 }, 200))).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    // Now the node's own loop is blocked past the ping's timeout, the pong waiting unread meanwhile;
    // blocked in a check-phase callback, so the next loop turn runs due timers before it reads I/O.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        const until = performance.now() + 1500;
        while (performance.now() < until);
        resolve();
      }),
    );
    await sleep(1000);
    expect(host.pid).toBe(pid);
    expect(host.status()).toMatchObject({ state: 'ready', restarts: 0 });
    expect(await query(node, 'busy.ping')).toBe('pong');
  });

  it('a sandbox that really stops answering is still killed', async () => {
    const host = sandboxHost(node, 'busy');
    await expect.poll(() => host.status().state, { timeout: 10_000 }).toBe('ready');
    const pid = host.pid;
    expect(await failure(query(node, 'busy.spin', {}, 200))).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await expect.poll(() => host.pid !== pid && host.status().lastError, { timeout: 10_000 }).toMatch(/stopped responding/);
  });
});
