import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nkeyAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { createMeshNatsAuth, type MeshNatsAuth, type NatsRole } from './nats-auth.ts';
import type { NatsSettings } from './nats-connection.ts';

export interface NatsServerOptions {
  /** Client port; 0 picks a free one. Reusing a port lets a restarted server keep its address. */
  port?: number;
  /** JetStream store; default a new temporary folder removed on stop(). Reuse it across restarts. */
  storeDir?: string;
  /** Extra lines for the server config file (accounts, cluster, TLS...). */
  extraConfig?: string;
  /** Server name (needed in clusters). */
  name?: string;
  /** Cluster: this server's route port and the routes of its peers. */
  cluster?: { name: string; port: number; routes: string[] };
  /**
   * Who may connect: by default new per-role NKey users (createMeshNatsAuth), so nothing runs
   * on an open NATS; pass the same auth to restart a server for the same clients, or `false`
   * when `extraConfig` brings its own accounts.
   */
  auth?: MeshNatsAuth | false;
  /**
   * `always` (default): JetStream fsyncs before it acknowledges, so acknowledged events survive an
   * OS crash (nats-server 2.10+; older servers lack the setting). `interval`: the server's own
   * periodic sync (two minutes), faster and lossy on a crash of the machine.
   */
  sync?: 'always' | 'interval';
  /** JetStream's file store limit, e.g. `8GB` (default `2GB`): a whole 1,000,000-event course needs more. */
  maxFileStore?: string;
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly process: ChildProcess;
  /** Graceful stop (SIGTERM), keeping or removing the store. */
  stop(options?: { keepStore?: boolean }): Promise<void>;
  /** SIGKILL, for fault tests; the store stays. */
  kill(): Promise<void>;
  /** The server's users (undefined with `auth: false`). */
  readonly auth: MeshNatsAuth | undefined;
  /** Connection settings of a role, for nodes (`nats:`) and clients (`connect({ nats })`). */
  as(role: NatsRole | `node:${string}`): NatsSettings;
  /** nats.js options of a role, for raw connections. */
  connectOptions(role: NatsRole): ConnectionOptions;
}

/** True when a `nats-server` binary is on PATH. */
export function natsServerAvailable(): boolean {
  return natsServerVersion() !== undefined;
}

let version: [number, number, number] | null | undefined;

/** The version of the `nats-server` on PATH, read once. */
export function natsServerVersion(): [number, number, number] | undefined {
  if (version === undefined) {
    const r = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
    const m = r.status === 0 ? /v?(\d+)\.(\d+)\.(\d+)/.exec(r.stdout) : null;
    version = m === null ? null : [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  return version ?? undefined;
}

/** The jetstream block's durability line: fsync before every acknowledgement where the server can. */
function syncSetting(sync: 'always' | 'interval'): string {
  const v = natsServerVersion();
  const supported = v !== undefined && (v[0] > 2 || (v[0] === 2 && v[1] >= 10));
  return sync === 'always' && supported ? ', sync_interval: always' : '';
}

/**
 * Starts a real nats-server with JetStream on loopback, for tests, the demo and the local
 * cluster launcher. The port is chosen by the server itself (port -1) and read back from its
 * ports file, so parallel test files never race for a port.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const work = await mkdtemp(path.join(tmpdir(), 'insights-nats-'));
  const auth = options.auth === false ? undefined : (options.auth ?? createMeshNatsAuth());
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? path.join(work, 'store');
  const portsDir = path.join(work, 'ports');
  const conf = [
    `listen: "127.0.0.1:${options.port && options.port > 0 ? options.port : -1}"`,
    `ports_file_dir: "${portsDir}"`,
    options.name === undefined ? '' : `server_name: "${options.name}"`,
    `jetstream { store_dir: "${storeDir}", max_memory_store: 256MB, max_file_store: ${options.maxFileStore ?? '2GB'}${syncSetting(options.sync ?? 'always')} }`,
    options.cluster === undefined
      ? ''
      : `cluster { name: "${options.cluster.name}", listen: "127.0.0.1:${options.cluster.port}", routes: [${options.cluster.routes.map((r) => `"${r}"`).join(', ')}] }`,
    auth?.serverConfig ?? '',
    options.extraConfig ?? '',
  ].join('\n');
  await import('node:fs').then((fs) => fs.mkdirSync(portsDir, { recursive: true }));
  const confFile = path.join(work, 'nats.conf');
  await writeFile(confFile, conf);
  const proc = spawn('nats-server', ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  });
  const port = await waitForPort(proc, portsDir, () => log);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const cleanup = async (keepStore: boolean) => {
    await rm(portsDir, { recursive: true, force: true });
    // With a store of the caller's, this folder holds only the config: remove it whatever happens to the store.
    if (!ownStore || !keepStore) await rm(work, { recursive: true, force: true });
  };
  const url = `nats://127.0.0.1:${port}`;
  const seedOf = (role: string) => {
    if (auth === undefined) return undefined;
    const seed = auth.seeds[role];
    if (seed === undefined) throw new Error(`no NATS user "${role}"`);
    return seed;
  };
  return {
    url,
    auth,
    as: (role) => (auth === undefined ? { servers: url } : auth.settings(url, role)),
    connectOptions: (role) => {
      const seed = seedOf(role);
      return seed === undefined
        ? { servers: url }
        : { servers: url, authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) };
    },
    port,
    storeDir,
    process: proc,
    async stop({ keepStore = false } = {}) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      await cleanup(keepStore);
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
      if (!ownStore) await cleanup(true);
    },
  };
}

async function waitForPort(proc: ChildProcess, portsDir: string, log: () => string): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}:\n${log()}`);
    const files = await readdir(portsDir).catch(() => []);
    const file = files.find((f) => f.endsWith('.ports'));
    if (file !== undefined) {
      try {
        const ports = JSON.parse(await readFile(path.join(portsDir, file), 'utf8')) as { nats?: string[] };
        const url = ports.nats?.[0];
        if (url !== undefined) return Number(new URL(url).port);
      } catch {
        // written but not complete yet
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  proc.kill('SIGKILL');
  throw new Error(`nats-server did not report its port within 15 s:\n${log()}`);
}
