import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMeshNatsAuth } from '@insights/registry';
import { startNatsCluster, type NatsCluster } from './nats-cluster.ts';
import { LOCAL_MESH_ID, writeClusterSecrets, type ClusterSecrets } from './secrets.ts';
import { CLI, REPO_ROOT, spawnInsights, type ReadyProcess } from './processes.ts';

export const SUBSYSTEMS = ['lms', 'forums', 'wiki'] as const;
export type Subsystem = (typeof SUBSYSTEMS)[number];

const CONFIG_DIR = path.join(REPO_ROOT, 'deploy', 'config');

export interface LocalClusterOptions {
  /** Work folder (NATS stores, node data, generated configs); default a new temporary one, removed on stop. */
  dir?: string;
  /** Modules per subsystem instead of those in deploy/config/<subsystem>.json (tests load light ones). */
  modules?: Partial<Record<Subsystem, string[]>>;
  /** The subsystem that gets a second node (`<subsystem>-2`); default lms. */
  replicaOf?: Subsystem;
  /** Where modules run; default inline (one process per node keeps a laptop responsive). */
  isolation?: 'inline' | 'worker' | 'process';
  /** Registry TTL, ms (short in tests so crashes are noticed quickly). */
  ttlMs?: number;
  /** Extra settings for every node's config. */
  nodeConfig?: Record<string, unknown>;
  /** Start `insights dashboard` too (default true). */
  dashboard?: boolean;
}

export interface ClusterNode {
  readonly id: string;
  readonly subsystem: Subsystem;
  readonly configFile: string;
  /** gRPC and HTTP addresses (kept across restarts). */
  readonly grpc: string;
  readonly http: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** SIGTERM: withdraws from the registry, drains in-flight calls, exits. */
  stop(): Promise<void>;
  /** Starts it again with the same id, ports and data. */
  start(): Promise<void>;
  stderr(): string;
}

export interface LocalCluster {
  readonly dir: string;
  readonly nats: NatsCluster;
  /** The mesh key, NATS seeds per role and node certificates the cluster was started with. */
  readonly secrets: ClusterSecrets;
  readonly nodes: ReadonlyMap<string, ClusterNode>;
  /** The dashboard's URL, when it was started. */
  readonly dashboardUrl: string | undefined;
  stop(): Promise<void>;
}

interface NodeReady {
  id: string;
  grpc: string;
  http: string;
}

/**
 * The production topology on one machine, on loopback: three clustered NATS servers with
 * JetStream (streams and buckets get three copies), one node per subsystem from
 * deploy/config/<subsystem>.json, a second node of one subsystem, and the dashboard. Nodes are
 * real `insights node` processes, so tests can kill and restart them.
 */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'insights-cluster-')));
  mkdirSync(dir, { recursive: true });
  const replicaOf = options.replicaOf ?? 'lms';
  const plan = [...SUBSYSTEMS.map((s) => ({ id: `${s}-1`, subsystem: s })), { id: `${replicaOf}-2`, subsystem: replicaOf }];
  // Authenticated from the start: a NATS user per role and per node, a certificate per node key.
  const auth = createMeshNatsAuth({ nodeIds: plan.map((p) => p.id) });
  const secrets = writeClusterSecrets(
    path.join(dir, 'secrets'),
    auth,
    plan.map((p) => p.id),
  );
  const nats = await startNatsCluster(path.join(dir, 'nats'), 3, '', auth);
  const nodes = new Map<string, ClusterNode>();
  let dashboard: ReadyProcess<{ url: string }> | undefined;
  try {
    const started = await Promise.all(plan.map(({ id, subsystem }) => clusterNode(dir, id, subsystem, nats, secrets, options)));
    for (const n of started) nodes.set(n.id, n);
    if (options.dashboard !== false) dashboard = await startDashboardIfAvailable(nats, secrets);
  } catch (e) {
    await Promise.all([...nodes.values()].map((n) => n.stop()));
    await nats.stop();
    throw e;
  }
  return {
    dir,
    nats,
    secrets,
    nodes,
    dashboardUrl: dashboard?.ready.url,
    async stop() {
      await dashboard?.stop();
      await Promise.all([...nodes.values()].map((n) => n.stop()));
      await nats.stop();
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Writes the node's config: the subsystem's file with loopback addresses, local paths and no secrets. */
function writeNodeConfig(
  dir: string,
  id: string,
  subsystem: Subsystem,
  nats: NatsCluster,
  secrets: ClusterSecrets,
  o: LocalClusterOptions,
  ports?: { grpc: number; http: number },
): string {
  const base = JSON.parse(readFileSync(path.join(CONFIG_DIR, `${subsystem}.json`), 'utf8')) as Record<string, unknown>;
  const modules = o.modules?.[subsystem] ?? (base.modules as string[]).map((m) => path.resolve(CONFIG_DIR, m));
  const config = {
    id,
    labels: base.labels,
    modules,
    defaultIsolation: o.isolation ?? 'inline',
    grpc: { host: '127.0.0.1', port: ports?.grpc ?? 0 },
    http: { host: '127.0.0.1', port: ports?.http ?? 0 },
    dataDir: path.join(dir, 'data', id),
    // Its own NATS user (it may write only its own registry keys) and its mesh-certified key;
    // no TLS on loopback (deploy/SECURITY.md shows the real setup).
    nats: { servers: [...nats.urls], nkeySeedFile: secrets.natsSeedFiles[`node:${id}`] },
    identity: { meshId: LOCAL_MESH_ID, ...secrets.nodes.get(id) },
    capabilities: { trustedKeys: [secrets.meshPublicKeyFile] },
    registry: { ttlMs: o.ttlMs ?? 3000 },
    learnerIds: { key: secrets.learnerIdKey },
    ...(o.nodeConfig ?? {}),
  };
  const file = path.join(dir, 'config', `${id}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

async function clusterNode(
  dir: string,
  id: string,
  subsystem: Subsystem,
  nats: NatsCluster,
  secrets: ClusterSecrets,
  o: LocalClusterOptions,
): Promise<ClusterNode> {
  let file = writeNodeConfig(dir, id, subsystem, nats, secrets, o);
  let proc: ReadyProcess<NodeReady> | undefined = await spawnInsights<NodeReady>(['node', '-c', file]);
  const grpc = proc.ready.grpc;
  const http = proc.ready.http;
  // Restarts keep the addresses, like a host with fixed ports.
  file = writeNodeConfig(dir, id, subsystem, nats, secrets, o, { grpc: port(grpc), http: port(http) });
  let lastStderr = '';
  const down = async (how: 'kill' | 'stop') => {
    if (proc === undefined) return;
    await proc[how]();
    lastStderr = proc.stderr();
    proc = undefined;
  };
  return {
    id,
    subsystem,
    configFile: file,
    grpc,
    http,
    get running() {
      return proc !== undefined;
    },
    get pid() {
      return proc?.proc.pid;
    },
    kill: () => down('kill'),
    stop: () => down('stop'),
    async start() {
      if (proc === undefined) proc = await spawnInsights<NodeReady>(['node', '-c', file]);
    },
    stderr: () => proc?.stderr() ?? lastStderr,
  };
}

function port(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

/** The dashboard package ships `insights dashboard`; a checkout without it starts everything else. */
async function startDashboardIfAvailable(
  nats: NatsCluster,
  secrets: ClusterSecrets,
): Promise<ReadyProcess<{ url: string }> | undefined> {
  const main = readFileSync(path.join(path.dirname(CLI), '..', 'src', 'main.ts'), 'utf8');
  if (!main.includes(".command('dashboard')") || !existsSync(path.join(REPO_ROOT, 'packages', 'dashboard'))) return undefined;
  // One URL is enough: the NATS client learns the other servers from the cluster and fails over.
  return spawnInsights<{ url: string }>(['dashboard', '--nats', nats.urls[0] as string, '--port', '0'], {
    NATS_NKEY_SEED_FILE: secrets.natsSeedFiles.client,
  });
}
