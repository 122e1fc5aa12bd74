import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_BUCKET, DEFAULT_TTL_MS, natsSettingsSchema } from '@insights/registry';
import { MODULE_LIMIT_DEFAULTS as L } from '@insights/runtime';
import { z } from 'zod';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

const int = (min: number, text: string) => z.number().int().min(min).optional().describe(text);
/** Matches ModuleLimits and RestartPolicy of @insights/runtime; unset keys take the runtime's defaults. */
const moduleLimits = z.strictObject({
  maxHeapMb: int(16, `V8 heap limit of the sandbox, MiB (default ${L.DEFAULT_MAX_HEAP_MB})`),
  maxConcurrentCalls: int(1, `calls running at once (default ${L.DEFAULT_MAX_CONCURRENT_CALLS})`),
  maxQueuedCalls: int(0, `calls waiting for a slot before RESOURCE_EXHAUSTED (default ${L.DEFAULT_MAX_QUEUED_CALLS})`),
  maxResultBytes: int(1, `largest result, bytes (default ${L.DEFAULT_MAX_RESULT_BYTES})`),
  maxLogRecordsPerSecond: int(1, `log records per second (default ${L.DEFAULT_MAX_LOG_RECORDS_PER_SECOND})`),
  unresponsiveMs: int(1, `kill a sandbox this long past a deadline if it answers no ping (default ${L.DEFAULT_UNRESPONSIVE_MS})`),
});
const restartPolicy = z.strictObject({
  initialBackoffMs: int(0, `first restart delay, doubling per crash (default ${L.DEFAULT_INITIAL_BACKOFF_MS})`),
  maxBackoffMs: int(0, `longest restart delay (default ${L.DEFAULT_MAX_BACKOFF_MS})`),
  crashLoopAfter: int(1, `consecutive crashes that mark the module degraded (default ${L.DEFAULT_CRASH_LOOP_AFTER})`),
  stableAfterMs: int(0, `uptime that clears degraded (default ${L.DEFAULT_STABLE_AFTER_MS})`),
});

const moduleEntry = z.union([
  z.string().min(1),
  z.strictObject({
    path: z.string().min(1).describe('Folder or file of the module, relative to the config file'),
    isolation: z.enum(['process', 'worker', 'inline']).optional(),
    limits: moduleLimits.optional(),
    restart: restartPolicy.optional(),
    nativeAddons: z.boolean().optional().describe('Allow native addons in the sandbox (they bypass its file restrictions); default: only if a dependency needs them'),
  }),
]);

const address = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
});

/** The node's configuration file (JSON). Every key is checked at start; errors name the key. */
export const nodeConfigSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional().describe('Node id; default: <first label>-<random>'),
  labels: z.array(z.string().min(1)).default([]).describe('Subsystem labels, e.g. ["lms"]'),
  modules: z.array(moduleEntry).default([]),
  grpc: address.default({ host: '127.0.0.1', port: 0 }),
  http: address.default({ host: '127.0.0.1', port: 0 }),
  defaultIsolation: z
    .enum(['process', 'worker', 'inline'])
    .default('process')
    .describe('Where modules run unless their entry says otherwise'),
  dataDir: z.string().default('.data').describe('Per-module databases and files live here'),
  db: z
    .discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('embedded'),
        syncIntervalMs: z.number().int().nonnegative().optional().describe('0: fsync before every acknowledgement; default 100 ms (writes survive kill -9 at once, power loss after this)'),
      }),
      z.strictObject({ kind: z.literal('mongodb'), url: z.string().min(1), dbPrefix: z.string().optional() }),
    ])
    .default({ kind: 'embedded' }),
  defaultTimeoutMs: z.number().int().positive().default(DEFAULT_TIMEOUT_MS),
  maxRequestBytes: z.number().int().positive().default(DEFAULT_MAX_REQUEST_BYTES),
  shutdownGraceMs: z.number().int().nonnegative().default(DEFAULT_SHUTDOWN_GRACE_MS),
  sweepIntervalMs: z.number().int().positive().default(DEFAULT_SWEEP_INTERVAL_MS),
  fileUrlSecret: z.string().min(16).optional().describe('HMAC secret for signed file URLs; default: random per start'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  nats: z.union([z.string().min(1), natsSettingsSchema]).optional().describe('NATS to advertise on (URL or settings)'),
  capabilities: z
    .strictObject({
      trustedKeys: z.array(z.string().min(1)).default([]).describe('Ed25519 public keys (PEM text or file paths) whose capabilities this node accepts'),
      required: z.boolean().default(false).describe('Refuse calls that carry no capability'),
      meshCapability: z.string().optional().describe("Capability this node's modules use for nested calls to other nodes"),
    })
    .default({ trustedKeys: [], required: false }),
  ingest: z
    .strictObject({
      tokens: z.array(z.string().min(16)).default([]).describe('Bearer tokens that may send events; empty: ingest is open (trusted network only)'),
    })
    .default({ tokens: [] }),
  events: z
    .strictObject({
      stream: z.string().default('INSIGHTS_EVENTS'),
      dlqStream: z.string().default('INSIGHTS_DLQ'),
      maxAgeSeconds: z.number().int().nonnegative().default(0).describe('How long events are kept (0: forever, so new modules can replay)'),
      duplicateWindowSeconds: z.number().int().positive().default(120).describe('A re-sent event with the same id is dropped within this window'),
      replicas: z.number().int().min(1).max(5).default(1),
      maxAttempts: z.number().int().min(1).default(5).describe('Attempts before an event goes to the dead-letter subject'),
      ackWaitMs: z.number().int().min(1000).default(10_000).describe("Events a crashed replica held are redelivered after this long"),
      handlerTimeoutMs: z.number().int().min(100).default(60_000).describe('How long a handler may take on one batch'),
    })
    .default({ stream: 'INSIGHTS_EVENTS', dlqStream: 'INSIGHTS_DLQ', maxAgeSeconds: 0, duplicateWindowSeconds: 120, replicas: 1, maxAttempts: 5, ackWaitMs: 10_000, handlerTimeoutMs: 60_000 }),
  registry: z
    .strictObject({
      bucket: z.string().default(DEFAULT_BUCKET),
      ttlMs: z.number().int().min(500).default(DEFAULT_TTL_MS),
      replicas: z.number().int().min(1).max(5).default(1),
    })
    .default({ bucket: DEFAULT_BUCKET, ttlMs: DEFAULT_TTL_MS, replicas: 1 }),
});

export type NodeConfigInput = z.input<typeof nodeConfigSchema>;
export type NodeConfig = Readonly<
  Omit<z.output<typeof nodeConfigSchema>, 'id' | 'fileUrlSecret'> & { id: string; baseDir: string; fileUrlSecret: string }
>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`config: ${key}: ${reason}`);
  }
}

/** Parses a config object: copies, applies defaults, validates, freezes. `baseDir` anchors relative paths. */
export function parseNodeConfig(input: unknown, baseDir = process.cwd()): NodeConfig {
  const r = nodeConfigSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key =
      issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]].join('.') : (issue?.path.join('.') ?? '');
    throw new ConfigError(key || '(root)', issue?.code === 'unrecognized_keys' ? 'unknown setting' : (issue?.message ?? 'invalid'));
  }
  const id = r.data.id ?? `${r.data.labels[0] ?? 'node'}-${randomBytes(3).toString('hex')}`;
  return Object.freeze({
    ...r.data,
    id,
    baseDir,
    dataDir: path.resolve(baseDir, r.data.dataDir),
    fileUrlSecret: r.data.fileUrlSecret ?? randomBytes(32).toString('hex'),
  });
}

export function loadNodeConfigFile(file: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError('(file)', `cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('(file)', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseNodeConfig(json, path.dirname(path.resolve(file)));
}
