import { readFileSync } from 'node:fs';
import { scrubStartEnvironment } from '@insights/sandbox';
import { ConfigError, type NodeConfigInput } from './config.ts';

type Kind = 'string' | 'int' | 'bool' | 'list' | 'bool-or-list';

/** One environment variable and the setting it overrides. */
export interface EnvOverride {
  readonly env: string;
  /** Dotted path of the setting, as CONFIG.md and config errors name it. */
  readonly key: string;
  readonly kind: Kind;
  /**
   * A secret: also read from the file named by `<env>_FILE` (so it never sits in the process's
   * environment, which /proc/self/environ shows as it was at start), and removed from the
   * environment once read, so modules in worker or inline isolation cannot read it there.
   */
  readonly secret?: boolean;
}

/**
 * Environment variables that override the configuration file (flags override both). One table,
 * so the docs, the parser and the tests cannot drift apart. Containers and systemd units set
 * these rather than templating JSON.
 */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { env: 'INSIGHTS_NODE_ID', key: 'id', kind: 'string' },
  { env: 'INSIGHTS_LABELS', key: 'labels', kind: 'list' },
  { env: 'INSIGHTS_NATS_URL', key: 'nats.servers', kind: 'list' },
  { env: 'INSIGHTS_NATS_CREDS', key: 'nats.credsFile', kind: 'string' },
  { env: 'INSIGHTS_NATS_NKEY_SEED_FILE', key: 'nats.nkeySeedFile', kind: 'string' },
  { env: 'INSIGHTS_NATS_CA', key: 'nats.tls.caFile', kind: 'string' },
  { env: 'INSIGHTS_MESH_ID', key: 'identity.meshId', kind: 'string' },
  { env: 'INSIGHTS_GRPC_HOST', key: 'grpc.host', kind: 'string' },
  { env: 'INSIGHTS_GRPC_PORT', key: 'grpc.port', kind: 'int' },
  { env: 'INSIGHTS_HTTP_HOST', key: 'http.host', kind: 'string' },
  { env: 'INSIGHTS_HTTP_PORT', key: 'http.port', kind: 'int' },
  { env: 'INSIGHTS_DATA_DIR', key: 'dataDir', kind: 'string' },
  { env: 'INSIGHTS_ISOLATION', key: 'defaultIsolation', kind: 'string' },
  { env: 'INSIGHTS_SANDBOX_REQUIRE', key: 'sandbox.require', kind: 'bool-or-list' },
  { env: 'INSIGHTS_SANDBOX_BWRAP', key: 'sandbox.bwrap', kind: 'string' },
  { env: 'INSIGHTS_LOG_LEVEL', key: 'logLevel', kind: 'string' },
  { env: 'INSIGHTS_MONGODB_URL', key: 'db.url', kind: 'string', secret: true },
  { env: 'INSIGHTS_FILE_URL_SECRET', key: 'fileUrlSecret', kind: 'string', secret: true },
  { env: 'INSIGHTS_LEARNER_ID_KEY', key: 'learnerIds.key', kind: 'string', secret: true },
  { env: 'INSIGHTS_TLS_CERT', key: 'tls.certFile', kind: 'string' },
  { env: 'INSIGHTS_TLS_KEY', key: 'tls.keyFile', kind: 'string' },
  { env: 'INSIGHTS_TLS_CA', key: 'tls.caFile', kind: 'string' },
  { env: 'INSIGHTS_TLS_REQUIRE_CLIENT_CERT', key: 'tls.requireClientCert', kind: 'bool' },
  { env: 'INSIGHTS_INGEST_TOKENS', key: 'ingest.tokens', kind: 'list', secret: true },
  { env: 'INSIGHTS_ADMIN_TOKENS', key: 'admin.tokens', kind: 'list', secret: true },
  { env: 'INSIGHTS_METRICS_TOKENS', key: 'metrics.tokens', kind: 'list', secret: true },
  { env: 'INSIGHTS_MESH_CAPABILITY', key: 'capabilities.meshCapability', kind: 'string', secret: true },
  { env: 'INSIGHTS_TRUSTED_KEYS', key: 'capabilities.trustedKeys', kind: 'list' },
  { env: 'INSIGHTS_REGISTRY_REPLICAS', key: 'registry.replicas', kind: 'int' },
  { env: 'INSIGHTS_EVENTS_REPLICAS', key: 'events.replicas', kind: 'int' },
  { env: 'INSIGHTS_TRACING_OTLP_URL', key: 'tracing.otlpUrl', kind: 'string' },
  { env: 'INSIGHTS_TRACING_SAMPLE_RATIO', key: 'tracing.sampleRatio', kind: 'string' },
];

/**
 * Returns a copy of `input` with every INSIGHTS_* variable of `env` applied. A value of the wrong
 * shape is a ConfigError naming the setting and the variable; the schema checks the rest.
 * Secrets are read from `<variable>_FILE` too, and deleted from `env` once read.
 */
export function applyEnvOverrides(input: NodeConfigInput, env: NodeJS.ProcessEnv = process.env): NodeConfigInput {
  const out = structuredClone(input) as Record<string, unknown>;
  for (const o of ENV_OVERRIDES) {
    const raw = o.secret === true ? takeSecret(o, env) : env[o.env];
    if (raw === undefined || raw === '') continue;
    set(out, o, parse(o, raw.trim()));
  }
  // The deleted secrets stay in the block /proc/self/environ shows: blank them there too.
  if (env === process.env) scrubStartEnvironment();
  return out as NodeConfigInput;
}

/** A secret's value from the variable or from the file `<variable>_FILE` names (not both); both are removed from `env`. */
function takeSecret(o: EnvOverride, env: NodeJS.ProcessEnv): string | undefined {
  const direct = env[o.env];
  const file = env[`${o.env}_FILE`];
  delete env[o.env];
  delete env[`${o.env}_FILE`];
  if (file === undefined || file === '') return direct;
  if (direct !== undefined && direct !== '') throw new ConfigError(o.key, `${o.env} and ${o.env}_FILE are both set; use one`);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(o.key, `${o.env}_FILE=${file} cannot be read: ${(e as Error).message}`);
  }
}

function parse(o: EnvOverride, raw: string): unknown {
  switch (o.kind) {
    case 'string':
      return o.key === 'tracing.sampleRatio' ? number(o, raw) : raw;
    case 'int':
      if (!/^\d+$/.test(raw)) throw new ConfigError(o.key, `${o.env}="${raw}" is not a whole number`);
      return Number(raw);
    case 'bool':
      if (!/^(true|false|1|0)$/i.test(raw)) throw new ConfigError(o.key, `${o.env}="${raw}" must be true or false`);
      return /^(true|1)$/i.test(raw);
    case 'bool-or-list':
      return /^(true|false|1|0)$/i.test(raw) ? /^(true|1)$/i.test(raw) : parse({ ...o, kind: 'list' }, raw);
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
  }
}

function number(o: EnvOverride, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ConfigError(o.key, `${o.env}="${raw}" is not a number`);
  return n;
}

function set(target: Record<string, unknown>, o: EnvOverride, value: unknown): void {
  // A MongoDB URL switches the database to MongoDB; a NATS URL keeps the credentials the file gave.
  if (o.key === 'db.url') {
    target.db = { ...(isObject(target.db) && target.db.kind === 'mongodb' ? target.db : {}), kind: 'mongodb', url: value };
    return;
  }
  if (o.key.startsWith('nats.') && typeof target.nats === 'string') target.nats = { servers: target.nats };
  if (o.key.startsWith('nats.') && o.key !== 'nats.servers' && target.nats === undefined)
    throw new ConfigError(o.key, `${o.env} is set but no NATS server is configured (set INSIGHTS_NATS_URL too)`);
  if (o.key.startsWith('tls.') && target.tls === undefined && o.key !== 'tls.certFile' && o.key !== 'tls.keyFile')
    throw new ConfigError(o.key, `${o.env} is set but TLS is not configured (set INSIGHTS_TLS_CERT and INSIGHTS_TLS_KEY)`);
  const parts = o.key.split('.');
  let node = target;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(node[p])) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
