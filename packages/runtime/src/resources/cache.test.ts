import { describe, expect, it } from 'vitest';
import { LruModuleCache } from './cache.ts';

describe('cache - memoize', () => {
  it('runs one computation for 50 concurrent callers', async () => {
    const cache = new LruModuleCache();
    let runs = 0;
    const compute = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      return { answer: 42 };
    };
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.memoize('q', { a: 1 }, compute)));
    expect(runs).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('caches falsy results', async () => {
    const cache = new LruModuleCache();
    let runs = 0;
    for (const value of [0, '', null, false]) {
      runs = 0;
      const f = () => (runs++, value);
      await cache.memoize(`falsy-${String(value)}`, {}, f);
      expect(await cache.memoize(`falsy-${String(value)}`, {}, f)).toBe(value);
      expect(runs).toBe(1);
    }
  });

  it('keys by canonical JSON: key order does not matter', async () => {
    const cache = new LruModuleCache();
    let runs = 0;
    await cache.memoize('q', { a: 1, b: 2 }, () => ++runs);
    await cache.memoize('q', { b: 2, a: 1 }, () => ++runs);
    expect(runs).toBe(1);
  });

  it('does not cache a failure, and later callers compute afresh', async () => {
    const cache = new LruModuleCache();
    await expect(cache.memoize('q', {}, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await cache.memoize('q', {}, () => 7)).toBe(7);
  });

  it('refresh recomputes while readers keep the old value; invalidate forgets', async () => {
    const cache = new LruModuleCache();
    await cache.memoize('q', { x: 1 }, () => 'old');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const refreshing = cache.refresh('q', { x: 1 }, async () => (await gate, 'new'));
    expect(await cache.memoize('q', { x: 1 }, () => 'never')).toBe('old');
    release();
    expect(await refreshing).toBe('new');
    expect(await cache.memoize('q', { x: 1 }, () => 'never')).toBe('new');
    cache.invalidate('q');
    expect(await cache.memoize('q', { x: 1 }, () => 'again')).toBe('again');
  });

  it('expires entries after their TTL', async () => {
    const cache = new LruModuleCache({ maxEntries: 10, defaultTtlSeconds: 60 });
    cache.set('k', 'v', { ttlSeconds: 0.05 });
    expect(cache.get('k')).toBe('v');
    await new Promise((r) => setTimeout(r, 80));
    expect(cache.get('k')).toBeUndefined();
  });
});
