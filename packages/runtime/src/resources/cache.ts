import { LRUCache } from 'lru-cache';
import type { CacheSetOptions, ModuleCache } from '@insights/sdk';
import { canonicalJson } from '@insights/sdk/internal';
import type { MemoStore } from './memo-db.ts';

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

/** Memoized results kept where every replica reads them, and who hears when that store fails. */
export interface SharedMemo {
  readonly store: MemoStore;
  /** A store that fails costs a computation, never the call: the failure is reported here. */
  readonly onError: (error: unknown, operation: 'get' | 'set' | 'invalidate') => unknown;
}

/**
 * A module's cache: lru-cache with TTL, plus memoize with shared in-flight computations. With a
 * SharedMemo, memoized results live in its store instead of the LRU (get/set stay per replica).
 */
export class LruModuleCache implements ModuleCache {
  readonly #lru: LRUCache<string, Box>;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly #shared: SharedMemo | undefined;
  readonly #defaultTtlSeconds: number;
  #invalidating: Promise<void> = Promise.resolve();

  constructor(limits: CacheLimits = DEFAULT_CACHE_LIMITS, shared?: SharedMemo) {
    this.#lru = new LRUCache<string, Box>({ max: limits.maxEntries, ttl: limits.defaultTtlSeconds * 1000 });
    this.#shared = shared;
    this.#defaultTtlSeconds = limits.defaultTtlSeconds;
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
    if (this.#shared === undefined) {
      const hit = this.#lru.get(key);
      if (hit !== undefined) return hit.v as T;
    }
    return this.#compute(name, key, compute, options);
  }

  async refresh<T>(name: string, args: unknown, compute: () => Promise<T> | T, options?: CacheSetOptions): Promise<T> {
    return this.#compute(name, memoKey(name, args), compute, options, true);
  }

  invalidate(name: string, args?: unknown): void {
    const shared = this.#shared;
    if (shared !== undefined) {
      // invalidate() is synchronous: the next memoize on this replica waits for the delete to land.
      const done = this.#invalidating.then(() =>
        shared.store.invalidate(name, args === undefined ? undefined : memoKey(name, args)),
      );
      this.#invalidating = done.catch((e: unknown) => void shared.onError(e, 'invalidate'));
    }
    if (args !== undefined) {
      this.#lru.delete(memoKey(name, args));
      return;
    }
    const prefix = `${name}${MEMO_SEPARATOR}`;
    for (const key of [...this.#lru.keys()]) if (key.startsWith(prefix)) this.#lru.delete(key);
  }

  #compute<T>(name: string, key: string, compute: () => Promise<T> | T, options?: CacheSetOptions, force = false): Promise<T> {
    const pending = this.#inFlight.get(key);
    if (pending !== undefined && !force) return pending as Promise<T>;
    const shared = this.#shared;
    const p: Promise<T> =
      shared === undefined
        ? Promise.resolve()
            .then(compute)
            .then((value) => {
              this.set(key, value, options);
              return value;
            })
        : this.#computeShared(shared, name, key, compute, options?.ttlSeconds ?? this.#defaultTtlSeconds, force);
    const tracked = p.finally(() => {
      // A failure is not cached: the next caller computes afresh.
      if (this.#inFlight.get(key) === tracked) this.#inFlight.delete(key);
    });
    this.#inFlight.set(key, tracked);
    return tracked;
  }

  /** Another replica's result when the store has one (unless refreshing), else computed here and stored for all. */
  async #computeShared<T>(
    shared: SharedMemo,
    name: string,
    key: string,
    compute: () => Promise<T> | T,
    ttlSeconds: number,
    force: boolean,
  ): Promise<T> {
    await this.#invalidating;
    if (!force) {
      const hit = await shared.store.get(key).catch((e: unknown) => void shared.onError(e, 'get'));
      if (hit !== undefined) return hit.value as T;
    }
    const value = await compute();
    await shared.store.set(key, name, value, ttlSeconds).catch((e: unknown) => shared.onError(e, 'set'));
    return value;
  }
}

function memoKey(name: string, args: unknown): string {
  return `${name}${MEMO_SEPARATOR}${canonicalJson(args)}`;
}
