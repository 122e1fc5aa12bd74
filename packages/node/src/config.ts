import { randomBytes } from 'node:crypto';
import { sqlSourcesSchema } from '@insights/sql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_BUCKET, DEFAULT_TTL_MS, natsSettingsSchema } from '@insights/registry';
import { z } from 'zod';
import { MIN_LEARNER_ID_KEY_CHARS } from '@insights/runtime';
import { KERNEL_REQUIREMENTS } from '@insights/sandbox';
import { auditConfigSchema } from './config-audit.ts';
import { inputLimitsSchema } from './config-limits.ts';
import { moduleEntry } from './config-modules.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Audit records a node keeps while JetStream falls behind or NATS is away (about 100,000 records). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

/** Replicas of JetStream streams and buckets (R1, R3 or R5 in practice). */
const replicaCount = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(5)
    .optional()
    .describe(`Copies of ${what}; default: 3 on a JetStream cluster of three or more servers, else 1`);

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
    .describe('Modules to load: a path, or { path, isolation, limits, restart, nativeAddon, reads, readBy }'),
  grpc: address.prefault({}).describe('gRPC listen address (calls, ingest, health, reflection)'),
  http: address.prefault({}).describe('HTTP listen address (calls, ingest, files, /healthz, /readyz, /metrics)'),
  defaultIsolation: z
    .enum(['process', 'worker', 'inline'])
    .default('process')
    .describe(
      'Where modules run unless their entry says otherwise. Only process sandboxes contain a module; worker and inline are for TRUSTED code',
    ),
  dataDir: z.string().default('.data').describe('Per-module databases and files live here'),
  sandbox: z
    .strictObject({
      require: z
        .union([z.boolean(), z.array(z.enum(KERNEL_REQUIREMENTS)).min(1)])
        .default(false)
        .describe(
          "Refuse to start unless process modules can run in the kernel sandbox (bubblewrap); on in production. true = ['kernel']; a list also requires the protections it names ('cgroups' = cgroup-memory, cgroup-cpu and cgroup-pids; the variable takes them comma-separated). Without them the node warns at start, one line per missing protection",
        ),
      bwrap: z.string().min(1).default('bwrap').describe('The bubblewrap program: a name looked up in PATH, or a path'),
    })
    .prefault({})
    .describe('The kernel sandbox around process modules'),
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
            '0: fsync every commit before acknowledging (survives power loss); otherwise (default) acknowledged writes survive kill -9, and an OS crash may lose the last commits',
          ),
        cacheSizeKiB: z
          .number()
          .int()
          .min(64)
          .optional()
          .describe('SQLite page cache per module database, KiB (default 4096): the engine memory bound, whatever the data size'),
      }),
      z.strictObject({
        kind: z.literal('mongodb'),
        url: z.string().min(1).describe('mongodb:// or mongodb+srv:// URL, e.g. of a replica set (see deploy/mongodb)'),
        dbPrefix: z.string().optional().describe('Prefix of the per-module database names'),
        users: z
          .record(z.string(), z.strictObject({ username: z.string().min(1), password: z.string().min(1) }))
          .optional()
          .describe('One MongoDB user per module name (readWrite on its own database only; see deploy/mongodb)'),
        provision: z
          .strictObject({
            username: z.string().min(1),
            password: z.string().min(1),
            authSource: z.string().optional(),
            secret: z.string().min(16),
          })
          .optional()
          .describe(
            'A user-admin account the node uses to create the users of modules not in db.users (passwords derived from secret)',
          ),
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
  limits: inputLimitsSchema,
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
      meshCapability: z
        .string()
        .optional()
        .describe(
          "This node's own capability: it bounds every nested call its modules make, and is their authority for work with no caller (event handlers, jobs)",
        ),
      moduleCapabilities: z
        .record(z.string().min(1), z.string().min(1))
        .default({})
        .describe(
          "Module name -> capability: that module's own authority for work with no caller (default: meshCapability); the node checks it at start",
        ),
      elevate: z
        .record(z.string().min(1), z.array(z.string().min(1)).min(1))
        .default({})
        .describe(
          "Module name -> analytic globs it may call on its own authority during a caller's request (like setuid; logged; off by default)",
        ),
    })
    .prefault({})
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
    .prefault({})
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
      pages: z
        .boolean()
        .default(true)
        .describe(
          'A batch ingest stores consecutive events of one source many to a JetStream message (one fsync per page, not per event); every node of the mesh must read pages (this version on)',
        ),
    })
    .prefault({})
    .describe('JetStream streams, retries and dead letters of events'),
  registry: z
    .strictObject({
      bucket: z.string().default(DEFAULT_BUCKET).describe('NATS KV bucket of the registry'),
      ttlMs: z
        .number()
        .int()
        .min(500)
        .default(DEFAULT_TTL_MS)
        .describe(
          'A node silent this long is dropped: its heartbeat expires on the NATS server (2.11+; rounded up to whole seconds) and every watcher drops it, ms',
        ),
      replicas: replicaCount('the registry and job-lease buckets'),
    })
    .prefault({})
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
    .prefault({})
    .describe('OpenTelemetry traces of calls and events'),
  sql: z
    .strictObject({
      sources: sqlSourcesSchema.describe(
        'Read replicas by name (e.g. "lms"): kind, host, port, database, a read-only user, and the modules granted each',
      ),
    })
    .default({ sources: {} })
    .describe('Read-replica SQL databases modules query with ctx.sql(name); the node runs every statement'),
  admin: z
    .strictObject({
      tokens: z
        .array(z.string().min(16))
        .default([])
        .describe('Bearer tokens for the admin endpoints (PUT /admin/log-level); empty: those endpoints are off'),
    })
    .prefault({})
    .describe('Operator endpoints'),
  pseudonyms: z
    .strictObject({
      keys: z
        .record(z.string().min(1), z.string().min(32))
        .default({})
        .describe('Project -> secret key of its pseudonyms (the same on every node); a policy with pseudonymise.project uses it'),
      fields: z
        .array(z.string().min(1))
        .default(['learner', 'user', 'actor', 'username', 'user_id'])
        .describe('Result and parameter fields holding learner identifiers, besides those each module declares (learnerFields)'),
    })
    .prefault({})
    .describe('Pseudonymised research access (see deploy/SECURITY.md)'),
  learnerIds: z
    .strictObject({
      key: z
        .string()
        .min(MIN_LEARNER_ID_KEY_CHARS)
        .optional()
        .describe(
          'Secret of keyed learner ids (ctx.learnerId: HMAC-SHA256, e.g. the edX-to-xAPI actor ids), the same on every node; modules never see it. Unset: ctx.learnerId fails FAILED_PRECONDITION',
        ),
    })
    .default({})
    .describe('Keyed learner ids modules export (see deploy/SECURITY.md)'),
  audit: auditConfigSchema,
  metrics: z
    .strictObject({
      tokens: z
        .array(z.string().min(16))
        .default([])
        .describe(
          'Bearer tokens that may scrape GET /metrics; empty: open, unless capabilities are required (then /metrics is off)',
        ),
    })
    .prefault({})
    .describe('Who may read the Prometheus metrics'),
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

/**
 * Checks made when a node starts rather than when a file is parsed (tokens often come from the
 * environment): events share one stream mesh-wide, so a node that requires capabilities must not
 * offer an open ingest that would feed every node's handlers.
 */
export function checkStartable(config: NodeConfig): void {
  if (config.capabilities.required && config.ingest.tokens.length === 0)
    throw new ConfigError(
      'ingest.tokens',
      'capabilities.required needs ingest tokens too (INSIGHTS_INGEST_TOKENS): an open ingest feeds every node of the mesh',
    );
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
