/** Per-module limits and restart policy: the operator's knobs, their defaults, and resolution. */

/** Per-module limits an operator sets in the node config. */
export interface ModuleLimits {
  /** V8 old-space limit of the sandbox, MiB (process and worker isolation). */
  readonly maxHeapMb?: number;
  /** Calls running at once; more wait in a bounded queue. */
  readonly maxConcurrentCalls?: number;
  /** Calls waiting for a slot before RESOURCE_EXHAUSTED. */
  readonly maxQueuedCalls?: number;
  /** Largest result a call may return, bytes (estimated as its JSON size). */
  readonly maxResultBytes?: number;
  /** Log records per second before the module's log is throttled. */
  readonly maxLogRecordsPerSecond?: number;
  /**
   * Once a call's deadline has passed, how long the sandbox may leave a ping unanswered before
   * it is terminated and restarted (its event loop is blocked, e.g. by a synchronous loop).
   */
  readonly unresponsiveMs?: number;
  /**
   * The kernel sandbox (bubblewrap) only: memory of the whole sandbox, V8 heap and everything
   * outside it (Buffers, WebAssembly), MiB, through a cgroup; over it the kernel kills the sandbox.
   */
  readonly maxMemoryMb?: number;
  /** Kernel sandbox: CPU time, percent of one core (cgroup cpu.max); 100 = one core. */
  readonly maxCpuPercent?: number;
  /** Kernel sandbox: processes and threads (cgroup pids.max; Node itself runs about a dozen threads). */
  readonly maxProcesses?: number;
  /** Kernel sandbox: open file descriptors, sockets included (RLIMIT_NOFILE). */
  readonly maxOpenFiles?: number;
  /** Kernel sandbox: bytes the module's data folder may hold, MiB (the largest file is capped at this too). */
  readonly diskQuotaMb?: number;
  /** Kernel sandbox: size of its private /tmp (memory-backed), MiB. */
  readonly tmpMb?: number;
}

/** How a crashed sandbox is restarted. */
export interface RestartPolicy {
  /** Delay before the first restart; doubles with each consecutive crash. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Consecutive crashes that mark the module degraded (a crash loop). */
  readonly crashLoopAfter?: number;
  /** Uptime after which a sandbox counts as stable again: crashes are forgiven, degraded clears. */
  readonly stableAfterMs?: number;
}

export const DEFAULT_MAX_HEAP_MB = 512;
export const DEFAULT_MAX_CONCURRENT_CALLS = 64;
export const DEFAULT_MAX_QUEUED_CALLS = 1024;
export const DEFAULT_MAX_RESULT_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_LOG_RECORDS_PER_SECOND = 200;
export const DEFAULT_UNRESPONSIVE_MS = 1000;
export const DEFAULT_MAX_MEMORY_MB = 1024;
export const DEFAULT_MAX_CPU_PERCENT = 100;
export const DEFAULT_MAX_PROCESSES = 64;
export const DEFAULT_MAX_OPEN_FILES = 1024;
export const DEFAULT_DISK_QUOTA_MB = 1024;
export const DEFAULT_TMP_MB = 64;

export const DEFAULT_INITIAL_BACKOFF_MS = 100;
export const DEFAULT_MAX_BACKOFF_MS = 30_000;
export const DEFAULT_CRASH_LOOP_AFTER = 3;
export const DEFAULT_STABLE_AFTER_MS = 10_000;

export type ResolvedLimits = Required<ModuleLimits>;
export type ResolvedRestartPolicy = Required<RestartPolicy>;

export function resolveLimits(l: ModuleLimits = {}): ResolvedLimits {
  const maxHeapMb = positive(l.maxHeapMb, DEFAULT_MAX_HEAP_MB, 'maxHeapMb');
  return Object.freeze({
    maxHeapMb,
    maxConcurrentCalls: positive(l.maxConcurrentCalls, DEFAULT_MAX_CONCURRENT_CALLS, 'maxConcurrentCalls'),
    maxQueuedCalls: nonNegative(l.maxQueuedCalls, DEFAULT_MAX_QUEUED_CALLS, 'maxQueuedCalls'),
    maxResultBytes: positive(l.maxResultBytes, DEFAULT_MAX_RESULT_BYTES, 'maxResultBytes'),
    maxLogRecordsPerSecond: positive(l.maxLogRecordsPerSecond, DEFAULT_MAX_LOG_RECORDS_PER_SECOND, 'maxLogRecordsPerSecond'),
    unresponsiveMs: positive(l.unresponsiveMs, DEFAULT_UNRESPONSIVE_MS, 'unresponsiveMs'),
    // A heap raised past the default memory limit raises the default with it (room for code and buffers).
    maxMemoryMb: positive(l.maxMemoryMb, Math.max(DEFAULT_MAX_MEMORY_MB, maxHeapMb + 256), 'maxMemoryMb'),
    maxCpuPercent: positive(l.maxCpuPercent, DEFAULT_MAX_CPU_PERCENT, 'maxCpuPercent'),
    maxProcesses: positive(l.maxProcesses, DEFAULT_MAX_PROCESSES, 'maxProcesses'),
    maxOpenFiles: positive(l.maxOpenFiles, DEFAULT_MAX_OPEN_FILES, 'maxOpenFiles'),
    diskQuotaMb: positive(l.diskQuotaMb, DEFAULT_DISK_QUOTA_MB, 'diskQuotaMb'),
    tmpMb: positive(l.tmpMb, DEFAULT_TMP_MB, 'tmpMb'),
  });
}

export function resolveRestartPolicy(p: RestartPolicy = {}): ResolvedRestartPolicy {
  return Object.freeze({
    initialBackoffMs: nonNegative(p.initialBackoffMs, DEFAULT_INITIAL_BACKOFF_MS, 'initialBackoffMs'),
    maxBackoffMs: nonNegative(p.maxBackoffMs, DEFAULT_MAX_BACKOFF_MS, 'maxBackoffMs'),
    crashLoopAfter: positive(p.crashLoopAfter, DEFAULT_CRASH_LOOP_AFTER, 'crashLoopAfter'),
    stableAfterMs: nonNegative(p.stableAfterMs, DEFAULT_STABLE_AFTER_MS, 'stableAfterMs'),
  });
}

function positive(v: number | undefined, dflt: number, key: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`limit ${key} must be a positive number, got ${v}`);
  return v;
}

function nonNegative(v: number | undefined, dflt: number, key: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`limit ${key} must be zero or more, got ${v}`);
  return v;
}

/** Every default in one object, for config schemas and docs. */
export const MODULE_LIMIT_DEFAULTS = Object.freeze({
  DEFAULT_MAX_HEAP_MB,
  DEFAULT_MAX_CONCURRENT_CALLS,
  DEFAULT_MAX_QUEUED_CALLS,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_MAX_LOG_RECORDS_PER_SECOND,
  DEFAULT_UNRESPONSIVE_MS,
  DEFAULT_MAX_MEMORY_MB,
  DEFAULT_MAX_CPU_PERCENT,
  DEFAULT_MAX_PROCESSES,
  DEFAULT_MAX_OPEN_FILES,
  DEFAULT_DISK_QUOTA_MB,
  DEFAULT_TMP_MB,
  DEFAULT_INITIAL_BACKOFF_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_CRASH_LOOP_AFTER,
  DEFAULT_STABLE_AFTER_MS,
});
