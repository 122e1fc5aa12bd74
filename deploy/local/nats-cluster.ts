import { rm } from 'node:fs/promises';
import path from 'node:path';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createMeshNatsAuth, type MeshNatsAuth } from '@insights/registry';
import { startNatsServer, type NatsServer } from '@insights/registry/nats-server';
import { freePort } from './processes.ts';

/** One server of the local cluster; it keeps its ports and store across kill and start, like a real host. */
export interface NatsMember {
  readonly name: string;
  readonly url: string;
  readonly alive: boolean;
  /** SIGKILL: the store stays; peers keep the streams going (three copies). */
  kill(): Promise<void>;
  /** Starts it again on the same ports and store; it rejoins the cluster. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface NatsCluster {
  readonly members: readonly NatsMember[];
  /** Every client URL, for `nats.servers`. */
  readonly urls: readonly string[];
  /** The users every server accepts (one per role and per node id); nothing connects without one. */
  readonly auth: MeshNatsAuth;
  stop(): Promise<void>;
}

/**
 * Three (by default) nats-server processes on loopback, clustered with JetStream, as
 * deploy/nats/nats-*.conf describes for real hosts. Route ports are chosen before start because
 * every server must know its peers' routes.
 */
export async function startNatsCluster(
  dir: string,
  size = 3,
  extraConfig = '',
  auth: MeshNatsAuth = createMeshNatsAuth(),
): Promise<NatsCluster> {
  let members: NatsMember[] = [];
  // A port found free can be taken by another process before its server binds it: then the
  // servers started are stopped and the cluster tried again on other ports.
  for (let attempt = 1; ; attempt++) {
    const ports = await Promise.all(
      Array.from({ length: size }, async () => ({ client: await freePort(), route: await freePort() })),
    );
    const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`);
    members = ports.map((p, i) =>
      member(`nats-${i + 1}`, p.client, p.route, routes, path.join(dir, `nats-${i + 1}`), extraConfig, auth),
    );
    const started = await Promise.allSettled(members.map((m) => m.start()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed === undefined) break;
    await Promise.all(members.map((m) => m.kill()));
    if (attempt >= 3 || !/address already in use/.test(String((failed.reason as Error)?.message))) throw failed.reason;
    // The next attempt starts from empty stores: these knew the old routes.
    await Promise.all(members.map((_, i) => rm(path.join(dir, `nats-${i + 1}`), { recursive: true, force: true })));
  }
  const urls = members.map((m) => m.url);
  await waitForJetStream(urls, size, auth.seeds.admin);
  return { members, urls, auth, stop: async () => void (await Promise.all(members.map((m) => m.stop()))) };
}

function member(
  name: string,
  port: number,
  routePort: number,
  routes: string[],
  storeDir: string,
  extraConfig: string,
  auth: MeshNatsAuth,
): NatsMember {
  let server: NatsServer | undefined;
  return {
    name,
    url: `nats://127.0.0.1:${port}`,
    get alive() {
      return server !== undefined;
    },
    async kill() {
      await server?.kill();
      server = undefined;
    },
    async start() {
      if (server !== undefined) return;
      server = await startNatsServer({
        port,
        storeDir,
        name,
        cluster: { name: 'insights', port: routePort, routes },
        extraConfig,
        auth,
      });
    },
    async stop() {
      await server?.stop({ keepStore: true });
      server = undefined;
    },
  };
}

/** Resolves once the cluster has formed: every server gossiped and JetStream has a meta leader. */
export async function waitForJetStream(
  urls: readonly string[],
  size: number,
  adminSeed: string | undefined,
  timeoutMs = 30_000,
): Promise<void> {
  const nc = await connect({
    servers: [...urls],
    maxReconnectAttempts: -1,
    ...(adminSeed === undefined ? {} : { authenticator: nkeyAuthenticator(new TextEncoder().encode(adminSeed)) }),
  });
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = new Set(nc.info?.connect_urls ?? []).size;
      const ok =
        seen >= size &&
        (await jsm.getAccountInfo().then(
          () => true,
          () => false,
        ));
      if (ok) return;
      if (Date.now() > deadline)
        throw new Error(`NATS cluster did not form within ${timeoutMs} ms (saw ${seen} of ${size} servers)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await nc.close();
  }
}
