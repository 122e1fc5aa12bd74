/**
 * A replica of the `sharded` fixture (a handler partitioned by actor) as its own `insights node`
 * process on the node NATS user: what the sharding and replicated-MongoDB suites kill and restart.
 */
import path from 'node:path';
import { spawnNode, type NodeProcess } from './cli-process.ts';
import { natsEnv, type NatsServer } from './nats.ts';
import { FIXTURE_MODULES } from './tmp.ts';

export function spawnShardedReplica(nats: NatsServer, dataRoot: string, id: string, configFile: string): Promise<NodeProcess> {
  return spawnNode(
    [
      '--id',
      id,
      '--nats',
      nats.url,
      '--isolation',
      'inline',
      '--data-dir',
      path.join(dataRoot, id),
      '--config',
      configFile,
      '--module',
      path.join(FIXTURE_MODULES, 'sharded'),
    ],
    { SHARD_NODE: id, ...natsEnv(nats, 'node') },
  );
}
