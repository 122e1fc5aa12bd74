import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDbProvider, type DbProvider } from '@insights/db';
import type { Db } from '@insights/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LruModuleCache } from './cache.ts';
import { DbMemoStore, MEMO_COLLECTION } from './memo-db.ts';

describe('cache - memoized results shared through the module database', () => {
  let root: string;
  let provider: DbProvider;
  let db: Db;
  const errors: string[] = [];
  /** A replica's cache: its own LRU, the shared store. */
  const replica = (store = new DbMemoStore(db)) =>
    new LruModuleCache(undefined, { store, onError: (e, op) => errors.push(`${op}: ${(e as Error).message}`) });
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'memo-db-'));
    provider = createDbProvider({ kind: 'embedded', dir: root });
    db = await provider.forModule('m');
    errors.length = 0;
  });
  afterEach(async () => {
    await provider.close();
    await rm(root, { recursive: true, force: true });
  });

  it('a result computed or refreshed on one replica is what the others answer, without computing', async () => {
    const [a, b] = [replica(), replica()];
    let runs = 0;
    const compute = () => ({ run: ++runs, bytes: new Uint8Array([1, 2]) });
    expect(await a.memoize('q', { x: 1 }, compute)).toEqual({ run: 1, bytes: new Uint8Array([1, 2]) });
    expect(await b.memoize('q', { x: 1 }, compute)).toEqual({ run: 1, bytes: new Uint8Array([1, 2]) });
    await a.refresh('q', { x: 1 }, compute);
    expect(await b.memoize('q', { x: 1 }, compute)).toMatchObject({ run: 2 });
    expect(runs).toBe(2);
    // Other arguments are another entry; invalidate(name) forgets them all, everywhere.
    await b.memoize('q', { x: 2 }, compute);
    // The invalidating replica's next memoize waits for the delete: it computes afresh at once.
    a.invalidate('q');
    expect(await a.memoize('q', { x: 1 }, compute)).toMatchObject({ run: 4 });
    a.invalidate('q', { x: 1 });
    await expect.poll(() => db.collection(MEMO_COLLECTION).countDocuments({}), { timeout: 5000 }).toBe(0);
    expect(await b.memoize('q', { x: 1 }, compute)).toMatchObject({ run: 5 });
    expect(errors).toEqual([]);
  });

  it('respects the time to live and caches falsy results', async () => {
    const cache = replica();
    let runs = 0;
    await cache.memoize('short', {}, () => ++runs, { ttlSeconds: -1 });
    await cache.memoize('short', {}, () => ++runs, { ttlSeconds: 60 });
    expect(runs).toBe(2);
    expect(await replica().memoize('zero', {}, () => 0)).toBe(0);
    expect(await replica().memoize('zero', {}, () => 1)).toBe(0);
  });

  it('a store that fails costs a computation, not the call, and is reported', async () => {
    const failing = new DbMemoStore(db);
    await provider.close();
    let runs = 0;
    const cache = replica(failing);
    expect(await cache.memoize('q', {}, () => ++runs)).toBe(1);
    expect(runs).toBe(1);
    expect(errors).toEqual([expect.stringMatching(/^get: /), expect.stringMatching(/^set: /)]);
  });
});
