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
/** Replicas of JetStream streams and buckets (R1, R3 or R5 in practice). */
const replicaCount = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(5)
    .optional()
    .describe(`Copies of ${what}; default: 3 on a JetStream cluster of three or more servers, else 1`);
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
    nativeAddons: z
      .boolean()
      .optional()
      .describe(
        'Allow native addons in the sandbox (they bypass its file restrictions); default: only if a dependency needs them',
      ),
  }),
]);

const address = z.strictObject({
  host: z.string().default('127.0.0.1').describe('Listen address (0.0.0.0: every interface)'),
  port: z.number().int().min(0).max(65535).default(0).describe('Listen port (0: any free port)'),
});

/** The node's configuration file (JSON). Every key is checked at start; errors name the key. */
export const nodeConfigSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional()
    .describe('Node id; default: <first label>-<random>'),
  labels: z.array(z.string().min(1)).default([]).describe('Subsystem labels, e.g. ["lms"]'),
  modules: z
    .array(moduleEntry)
    .default([])
    .describe('Modules to load: a path, or { path, isolation, limits, restart, nativeAddons }'),
  grpc: address.default({ host: '127.0.0.1', port: 0 }).describe('gRPC listen address (calls, ingest, health, reflection)'),
  http: address
    .default({ host: '127.0.0.1', port: 0 })
    .describe('HTTP listen address (calls, ingest, files, /healthz, /readyz, /metrics)'),
  defaultIsolation: z
    .enum(['process', 'worker', 'inline'])
    .default('process')
    .describe('Where modules run unless their entry says otherwise'),
  dataDir: z.string().default('.data').describe('Per-module databases and files live here'),
  db: z
    .discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('embedded'),
        syncIntervalMs: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .describe(
            '0: fsync before every acknowledgement; default 100 ms (writes survive kill -9 at once, power loss after this)',
          ),
      }),
      z.strictObject({
        kind: z.literal('mongodb'),
        url: z.string().min(1).describe('mongodb:// or mongodb+srv:// URL, e.g. of a replica set (see deploy/mongodb)'),
        dbPrefix: z.string().optional().describe('Prefix of the per-module database names'),
      }),
    ])
    .default({ kind: 'embedded' })
    .describe('Where module databases live: embedded (files under dataDir) or mongodb (shared by replicas)'),
  defaultTimeoutMs: z.number().int().positive().default(DEFAULT_TIMEOUT_MS).describe('Deadline of calls that carry none, ms'),
  maxRequestBytes: z
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_REQUEST_BYTES)
    .describe('Largest request body or argument object, bytes'),
  shutdownGraceMs: z
    .number()
    .int()
    .nonnegative()
    .default(DEFAULT_SHUTDOWN_GRACE_MS)
    .describe('How long a stopping node lets in-flight calls finish, ms'),
  sweepIntervalMs: z
    .number()
    .int()
    .positive()
    .default(DEFAULT_SWEEP_INTERVAL_MS)
    .describe('How often expired module files are deleted, ms'),
  fileUrlSecret: z.string().min(16).optional().describe('HMAC secret for signed file URLs; default: random per start'),
  logLevel: z
    .enum(['debug', 'info', 'warn', 'error'])
    .default('info')
    .describe('Least severe log level written (changeable at run time: PUT /admin/log-level)'),
  nats: z
    .union([z.string().min(1), natsSettingsSchema])
    .optional()
    .describe('NATS to advertise on (URL or settings)'),
  capabilities: z
    .strictObject({
      trustedKeys: z
        .array(z.string().min(1))
        .default([])
        .describe('Ed25519 public keys (PEM text or file paths) whose capabilities this node accepts'),
      required: z.boolean().default(false).describe('Refuse calls that carry no capability'),
      meshCapability: z.string().optional().describe("Capability this node's modules use for nested calls to other nodes"),
    })
    .default({ trustedKeys: [], required: false })
    .describe('Who may call: capabilities signed by the mesh key (see deploy/SECURITY.md)'),
  identity: z
    .strictObject({
      meshId: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/)
        .optional()
        .describe('The mesh this node belongs to: it accepts only capabilities and node certificates that name it'),
      keyFile: z
        .string()
        .min(1)
        .optional()
        .describe("The node's Ed25519 private key (PEM); default <dataDir>/node-key.pem, created on first start"),
      certificateFile: z
        .string()
        .min(1)
        .optional()
        .describe("The mesh's certificate for the node key (`insights keys node`); default <dataDir>/node.cert when present"),
    })
    .default({})
    .describe('Who this node is: its key, signed by the mesh key, signs its registry entry and answers Prove'),
  ingest: z
    .strictObject({
      tokens: z
        .array(z.string().min(16))
        .default([])
        .describe('Bearer tokens that may send events; empty: ingest is open (trusted network only)'),
    })
    .default({ tokens: [] })
    .describe('Who may send events'),
  events: z
    .strictObject({
      stream: z.string().default('INSIGHTS_EVENTS').describe('JetStream stream of the events'),
      dlqStream: z.string().default('INSIGHTS_DLQ').describe('JetStream stream of the dead letters'),
      maxAgeSeconds: z
        .number()
        .int()
        .nonnegative()
        .default(0)
        .describe('How long events are kept (0: forever, so new modules can replay)'),
      duplicateWindowSeconds: z
        .number()
        .int()
        .positive()
        .default(120)
        .describe('A re-sent event with the same id is dropped within this window'),
      replicas: replicaCount('the event streams'),
      maxAttempts: z.number().int().min(1).default(5).describe('Attempts before an event goes to the dead-letter subject'),
      ackWaitMs: z
        .number()
        .int()
        .min(1000)
        .default(10_000)
        .describe('Events a crashed replica held are redelivered after this long'),
      handlerTimeoutMs: z.number().int().min(100).default(60_000).describe('How long a handler may take on one batch'),
      partitionLeaseMs: z
        .number()
        .int()
        .min(2000)
        .default(5_000)
        .describe('Partitioned handlers: a replica that stops renewing its partition leases this long loses them to the others'),
      splitWithEmbeddedDb: z
        .boolean()
        .default(false)
        .describe(
          "Partitioned handlers split keys across replicas with MongoDB; with the embedded database each replica reads every event unless this is set (then each holds only its keys' state)",
        ),
    })
    .default({
      stream: 'INSIGHTS_EVENTS',
      dlqStream: 'INSIGHTS_DLQ',
      maxAgeSeconds: 0,
      duplicateWindowSeconds: 120,
      maxAttempts: 5,
      ackWaitMs: 10_000,
      handlerTimeoutMs: 60_000,
      partitionLeaseMs: 5_000,
      splitWithEmbeddedDb: false,
    })
    .describe('JetStream streams, retries and dead letters of events'),
  registry: z
    .strictObject({
      bucket: z.string().default(DEFAULT_BUCKET).describe('NATS KV bucket of the registry'),
      ttlMs: z.number().int().min(500).default(DEFAULT_TTL_MS).describe('A node silent this long is dropped by clients, ms'),
      replicas: replicaCount('the registry and job-lease buckets'),
    })
    .default({ bucket: DEFAULT_BUCKET, ttlMs: DEFAULT_TTL_MS })
    .describe('The NATS KV registry the node advertises in'),
  tls: z
    .strictObject({
      certFile: z.string().min(1).describe('PEM certificate chain the node presents (gRPC and HTTP)'),
      keyFile: z.string().min(1).describe('PEM private key of that certificate'),
      caFile: z
        .string()
        .min(1)
        .optional()
        .describe('PEM authority that signs client certificates (needed for requireClientCert) and that nested calls trust'),
      requireClientCert: z.boolean().default(false).describe('Mutual TLS: accept only clients with a certificate from caFile'),
    })
    .optional()
    .describe('TLS for gRPC and HTTP; unset: plaintext (loopback or a trusted network only)'),
  tracing: z
    .strictObject({
      otlpUrl: z
        .string()
        .url()
        .optional()
        .describe('OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces; unset: tracing off'),
      sampleRatio: z
        .number()
        .min(0)
        .max(1)
        .default(1)
        .describe('Share of new traces recorded (calls with a sampled parent always are)'),
      serviceName: z.string().min(1).default('insights-node').describe('service.name of the spans'),
    })
    .default({ sampleRatio: 1, serviceName: 'insights-node' })
    .describe('OpenTelemetry traces of calls and events'),
  admin: z
    .strictObject({
      tokens: z
        .array(z.string().min(16))
        .default([])
        .describe('Bearer tokens for the admin endpoints (PUT /admin/log-level); empty: those endpoints are off'),
    })
    .default({ tokens: [] })
    .describe('Operator endpoints'),
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
    const key = issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]].join('.') : (issue?.path.join('.') ?? '');
    throw new ConfigError(
      key || '(root)',
      issue?.code === 'unrecognized_keys' ? 'unknown setting' : (issue?.message ?? 'invalid'),
    );
  }
  const id = r.data.id ?? `${r.data.labels[0] ?? 'node'}-${randomBytes(3).toString('hex')}`;
  const tls = r.data.tls;
  if (tls?.requireClientCert === true && tls.caFile === undefined)
    throw new ConfigError('tls.caFile', 'requireClientCert needs the authority that signs client certificates');
  return Object.freeze({
    ...r.data,
    id,
    baseDir,
    dataDir: path.resolve(baseDir, r.data.dataDir),
    identity: {
      ...r.data.identity,
      ...(r.data.identity.keyFile === undefined ? {} : { keyFile: path.resolve(baseDir, r.data.identity.keyFile) }),
      ...(r.data.identity.certificateFile === undefined
        ? {}
        : { certificateFile: path.resolve(baseDir, r.data.identity.certificateFile) }),
    },
    // Certificate paths, like module paths, are relative to the config file.
    tls:
      tls === undefined
        ? undefined
        : {
            ...tls,
            certFile: path.resolve(baseDir, tls.certFile),
            keyFile: path.resolve(baseDir, tls.keyFile),
            caFile: tls.caFile === undefined ? undefined : path.resolve(baseDir, tls.caFile),
          },
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
