import { startLocalCluster, SUBSYSTEMS, type Subsystem } from '../../../../deploy/local/cluster.ts';
import { LOCAL_MESH_ID } from '../../../../deploy/local/secrets.ts';

export interface ClusterUpOptions {
  dir?: string;
  isolation?: 'inline' | 'worker' | 'process';
  replicaOf?: string;
  dashboard?: boolean;
}

/**
 * `insights cluster up`: the deploy/ topology on this machine (three clustered NATS servers, a
 * node per subsystem, a second node of one subsystem, the dashboard), on loopback, until Ctrl-C.
 * It lives in deploy/local so the fault tests drive the very same code.
 */
export async function runClusterUp(opts: ClusterUpOptions): Promise<void> {
  const replicaOf = (opts.replicaOf ?? 'lms') as Subsystem;
  if (!SUBSYSTEMS.includes(replicaOf)) throw new Error(`--replica-of must be one of ${SUBSYSTEMS.join(', ')}`);
  process.stderr.write('insights cluster: starting 3 NATS servers, 4 nodes and the dashboard on 127.0.0.1...\n');
  const cluster = await startLocalCluster({
    ...(opts.dir === undefined ? {} : { dir: opts.dir }),
    isolation: opts.isolation ?? 'inline',
    replicaOf,
    dashboard: opts.dashboard !== false,
  });
  const lines = [
    `NATS      ${cluster.nats.urls.join(',')}`,
    ...[...cluster.nodes.values()].map(
      (n) => `${n.id.padEnd(9)} grpc ${n.grpc}  http http://${n.http}/  metrics http://${n.http}/metrics`,
    ),
    cluster.dashboardUrl === undefined ? 'dashboard (not started)' : `dashboard ${cluster.dashboardUrl}/`,
    '',
    `try: NATS_NKEY_SEED_FILE=${cluster.secrets.natsSeedFiles.client} INSIGHTS_TRUSTED_KEYS=${cluster.secrets.meshPublicKeyFile} INSIGHTS_MESH_ID=${LOCAL_MESH_ID} npx insights ls --nats ${cluster.nats.urls[0]}`,
    `mesh key: ${cluster.secrets.meshKeyFile} (mint capabilities: insights token --key ...)`,
    `data and configs: ${cluster.dir}`,
  ];
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', nats: cluster.nats.urls, nodes: [...cluster.nodes.values()].map((n) => ({ id: n.id, grpc: n.grpc, http: n.http })), dashboard: cluster.dashboardUrl })}\n`,
  );
  process.stderr.write(`${lines.join('\n')}\n\nCtrl-C stops everything.\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    cluster.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
