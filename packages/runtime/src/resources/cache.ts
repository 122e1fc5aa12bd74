import { LRUCache } from 'lru-cache';
import type { CacheSetOptions, ModuleCache } from '@insights/sdk';
import { canonicalJson } from '@insights/sdk/internal';

export interface CacheLimits {
  /** Most entries kept; least recently used go first. */
  maxEntries: number;
  /** Default time to live, seconds. */
  defaultTtlSeconds: number;
}

export const DEFAULT_CACHE_LIMITS: CacheLimits = { maxEntries: 10_000, defaultTtlSeconds: 300 };

// lru-cache refuses `undefined` values, and memoize must cache falsy results: box every value.
interface Box {
  v: unknown;
}

const MEMO_SEPARATOR = '\u0000';

/** A module's cache: lru-cache with TTL, plus memoize with shared in-flight computations. */
export class LruModuleCache implements ModuleCache {
  readonly #lru: LRUCache<string, Box>;
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(limits: CacheLimits = DEFAULT_CACHE_LIMITS) {
    this.#lru = new LRUCache<string, Box>({ max: limits.maxEntries, ttl: limits.defaultTtlSeconds * 1000 });
  }

  get<T = unknown>(key: string): T | undefined {
    return this.#lru.get(key)?.v as T | undefined;
  }

  has(key: string): boolean {
    return this.#lru.has(key);
  }

  set(key: string, value: unknown, options: CacheSetOptions = {}): void {
    this.#lru.set(key, { v: value }, options.ttlSeconds === undefined ? {} : { ttl: options.ttlSeconds * 1000 });
  }

  delete(key: string): boolean {
    return this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
  }

  async memoize<T>(name: string, args: unknown, compute: () => Promise<T> | T, options?: CacheSetOptions): Promise<T> {
    const key = memoKey(name, args);
    const hit = this.#lru.get(key);
    if (hit !== undefined) return hit.v as T;
    return this.#compute(key, compute, options);
  }

  async refresh<T>(name: string, args: unknown, compute: () => Promise<T> | T, options?: CacheSetOptions): Promise<T> {
    return this.#compute(memoKey(name, args), compute, options, true);
  }

  invalidate(name: string, args?: unknown): void {
    if (args !== undefined) {
      this.#lru.delete(memoKey(name, args));
      return;
    }
    const prefix = `${name}${MEMO_SEPARATOR}`;
    for (const key of [...this.#lru.keys()]) if (key.startsWith(prefix)) this.#lru.delete(key);
  }

  #compute<T>(key: string, compute: () => Promise<T> | T, options?: CacheSetOptions, force = false): Promise<T> {
    const pending = this.#inFlight.get(key);
    if (pending !== undefined && !force) return pending as Promise<T>;
    const p: Promise<T> = Promise.resolve()
      .then(compute)
      .then((value) => {
        this.set(key, value, options);
        return value;
      })
      .finally(() => {
        // A failure is not cached: the next caller computes afresh.
        if (this.#inFlight.get(key) === p) this.#inFlight.delete(key);
      });
    this.#inFlight.set(key, p);
    return p;
  }
}

function memoKey(name: string, args: unknown): string {
  return `${name}${MEMO_SEPARATOR}${canonicalJson(args)}`;
}
