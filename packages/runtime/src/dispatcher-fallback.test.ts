import { describe, expect, it } from 'vitest';
import { Dispatcher } from './dispatcher.ts';
import type { NestedCallInvoker } from './call-authority.ts';

const remote: NestedCallInvoker = {
  names: () => ['examples.hello_user'],
  invoke: async (_kind, name, args) => `${name} served ${JSON.stringify(args)}`,
};

describe('Dispatcher - a nested call that arrives before the node mesh client', () => {
  it('without an announced client, a name no local module serves is NOT_FOUND at once', async () => {
    const d = new Dispatcher(new Map(), 5_000);
    await expect(d.invoke('query', 'examples.hello_user', {}, {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('with the client announced, the call waits for it and then goes through it', async () => {
    const d = new Dispatcher(new Map(), 5_000);
    let arrive!: () => void;
    d.expectFallback(new Promise<void>((r) => (arrive = r)));
    const call = d.invoke('query', 'examples.hello_user', { user: 'a' }, { timeoutMs: 5_000 });
    setTimeout(() => {
      d.setFallback(remote);
      arrive();
    }, 30);
    await expect(call).resolves.toBe('examples.hello_user served {"user":"a"}');
  });

  it('a client that does not come within the deadline fails the call UNAVAILABLE, naming why', async () => {
    const d = new Dispatcher(new Map(), 5_000);
    d.expectFallback(new Promise(() => {}));
    await expect(d.invoke('query', 'examples.hello_user', {}, { timeoutMs: 40 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('mesh client is not up yet') as unknown,
    });
  });

  it('a client that will never come (its start failed) leaves NOT_FOUND as before', async () => {
    const d = new Dispatcher(new Map(), 5_000);
    d.expectFallback(Promise.reject(new Error('no registry watch')));
    await new Promise((r) => setTimeout(r, 0));
    await expect(d.invoke('query', 'examples.hello_user', {}, { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
