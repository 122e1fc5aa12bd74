/**
 * How one module is loaded (the `modules` entries of a node config): its isolation, limits,
 * restart policy, the one native addon it may load, the modules whose data it may read and the
 * modules on other nodes that may read its data.
 */
import path from 'node:path';
import { MODULE_LIMIT_DEFAULTS as L } from '@insights/sandbox';
import { z } from 'zod';

const moduleName = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a module name');
const int = (min: number, text: string) => z.number().int().min(min).optional().describe(text);
/** Matches ModuleLimits and RestartPolicy of @insights/sandbox; unset keys take the sandbox's defaults. */
const moduleLimits = z.strictObject({
  maxHeapMb: int(16, `V8 heap limit of the sandbox, MiB (default ${L.DEFAULT_MAX_HEAP_MB})`),
  maxConcurrentCalls: int(1, `calls running at once (default ${L.DEFAULT_MAX_CONCURRENT_CALLS})`),
  maxQueuedCalls: int(0, `calls waiting for a slot before RESOURCE_EXHAUSTED (default ${L.DEFAULT_MAX_QUEUED_CALLS})`),
  maxResultBytes: int(1, `largest result, bytes (default ${L.DEFAULT_MAX_RESULT_BYTES})`),
  maxLogRecordsPerSecond: int(1, `log records per second (default ${L.DEFAULT_MAX_LOG_RECORDS_PER_SECOND})`),
  unresponsiveMs: int(1, `kill a sandbox this long past a deadline if it answers no ping (default ${L.DEFAULT_UNRESPONSIVE_MS})`),
  maxMemoryMb: int(
    32,
    `kernel sandbox: memory of the whole sandbox, heap and outside it, MiB (cgroup; default ${L.DEFAULT_MAX_MEMORY_MB} or maxHeapMb + 256)`,
  ),
  maxCpuPercent: int(1, `kernel sandbox: CPU time, percent of one core (cgroup; default ${L.DEFAULT_MAX_CPU_PERCENT})`),
  maxProcesses: int(16, `kernel sandbox: processes and threads (cgroup; default ${L.DEFAULT_MAX_PROCESSES})`),
  maxOpenFiles: int(32, `kernel sandbox: open files and sockets (RLIMIT_NOFILE; default ${L.DEFAULT_MAX_OPEN_FILES})`),
  diskQuotaMb: int(1, `kernel sandbox: what the module's data folder may hold, MiB (default ${L.DEFAULT_DISK_QUOTA_MB})`),
  tmpMb: int(1, `kernel sandbox: size of its private memory-backed /tmp, MiB (default ${L.DEFAULT_TMP_MB})`),
});
const restartPolicy = z.strictObject({
  initialBackoffMs: int(0, `first restart delay, doubling per crash (default ${L.DEFAULT_INITIAL_BACKOFF_MS})`),
  maxBackoffMs: int(0, `longest restart delay (default ${L.DEFAULT_MAX_BACKOFF_MS})`),
  crashLoopAfter: int(1, `consecutive crashes that mark the module degraded (default ${L.DEFAULT_CRASH_LOOP_AFTER})`),
  stableAfterMs: int(0, `uptime that clears degraded (default ${L.DEFAULT_STABLE_AFTER_MS})`),
});

export const moduleEntry = z.union([
  z.string().min(1),
  z.strictObject({
    path: z.string().min(1).describe('Folder or file of the module, relative to the config file'),
    isolation: z
      .enum(['process', 'worker', 'inline'])
      .optional()
      .describe(
        "process: a sandboxed child process. worker and inline run in the node's own process, with its memory and files: TRUSTED code only",
      ),
    limits: moduleLimits.optional(),
    restart: restartPolicy.optional(),
    nativeAddon: z
      .string()
      .refine((p) => path.isAbsolute(p) && p.endsWith('.node'), 'must be an absolute path to one .node file')
      .optional()
      .describe(
        "The one native addon file (absolute path) this module may load; addons run outside the sandbox's permission model. Default: none",
      ),
    reads: z
      .array(
        z.union([
          moduleName,
          z.strictObject({ module: moduleName, collections: z.array(z.string().min(1).max(120)).min(1).optional() }),
        ]),
      )
      .default([])
      .describe(
        'Modules whose data this module may read (ctx.readDb), read-only: a module name, or { module, collections } to allow only some of what the module declares it reads. A module on another node is read through the mesh, where its own node must also allow it (its modules[].readBy). Default: none',
      ),
    readBy: z
      .array(
        z.union([
          moduleName,
          z.strictObject({
            module: moduleName,
            collections: z.array(z.string().min(1).max(120)).min(1).optional(),
            nodes: z.array(z.string().min(1)).min(1).optional(),
          }),
        ]),
      )
      .default([])
      .describe(
        "Modules on OTHER nodes that may read this module's data through the mesh, read-only: a module name, or { module, collections, nodes } to allow only some collections, or only reads from some node ids. Only certified mesh nodes are served (identity and capabilities.trustedKeys). Default: none, nothing of this module's data leaves the node",
      ),
  }),
]);
