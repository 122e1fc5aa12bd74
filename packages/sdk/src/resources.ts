/** The per-module resources a handler reaches through its context. Implementations live in the runtime. */

/**
 * Per-module files. Names are relative paths inside the module's own folder; nothing escapes it.
 * On a node whose database is MongoDB they live in the module's database, shared by its replicas.
 */
export interface ModuleFiles {
  write(name: string, data: string | Uint8Array): Promise<void>;
  read(name: string): Promise<Uint8Array>;
  readText(name: string): Promise<string>;
  exists(name: string): Promise<boolean>;
  list(prefix?: string): Promise<string[]>;
  delete(name: string): Promise<boolean>;
  /** Deletes the file `seconds` from now (negative: already expired); the node's sweeper really deletes it. */
  expire(name: string, seconds: number): Promise<void>;
  /** A signed URL served by the node's HTTP server, valid for `ttlSeconds` (default one hour). */
  url(name: string, ttlSeconds?: number): Promise<string>;
}

export interface CacheSetOptions {
  /** Time to live in seconds; omitted: the cache's default. */
  ttlSeconds?: number;
}

/** Per-module cache, bounded, with TTL. Values are kept as given (no serialisation). */
export interface ModuleCache {
  get<T = unknown>(key: string): T | undefined;
  has(key: string): boolean;
  set(key: string, value: unknown, options?: CacheSetOptions): void;
  delete(key: string): boolean;
  clear(): void;
  /**
   * Returns the cached value for (name, args), computing it once when absent: concurrent callers
   * share one computation, falsy results are cached, a failed computation is not. On a node whose
   * database is MongoDB, memoized results live there and every replica reads them.
   */
  memoize<T>(name: string, args: unknown, compute: () => Promise<T> | T, options?: CacheSetOptions): Promise<T>;
  /** Recomputes and stores (name, args) now; readers keep the old value until the new one is ready. */
  refresh<T>(name: string, args: unknown, compute: () => Promise<T> | T, options?: CacheSetOptions): Promise<T>;
  /** Forgets (name, args), or every entry of `name` when args are omitted. */
  invalidate(name: string, args?: unknown): void;
}

export interface ModuleLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
