import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_BUCKET, DEFAULT_TTL_MS, natsSettingsSchema } from '@insights/registry';
import { z } from 'zod';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

const moduleEntry = z.union([
  z.string().min(1),
  z.strictObject({
    path: z.string().min(1).describe('Folder or file of the module, relative to the config file'),
    isolation: z.enum(['process', 'worker', 'inline']).optional(),
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
      z.strictObject({ kind: z.literal('embedded') }),
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
