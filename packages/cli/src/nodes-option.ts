import type { ConnectOptions } from '@insights/client';
import { readFileSync } from 'node:fs';
import { InsightsError } from '@insights/sdk';
import { natsWithCredentials } from './nats-credentials.ts';

export interface MeshFlags {
  node?: string[];
  nats?: string;
}

const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * Where the CLI finds the mesh: `--node` addresses and/or a `--nats` registry; without flags,
 * INSIGHTS_NODES and NATS_URL. NATS credentials come from the environment (natsWithCredentials).
 */
export function meshOptions(flags: MeshFlags): ConnectOptions {
  const nodes = (flags.node ?? []).flatMap(list);
  const nats = flags.nats ?? (nodes.length === 0 ? process.env.NATS_URL : undefined);
  const fromEnv = nodes.length === 0 && nats === undefined ? list(process.env.INSIGHTS_NODES) : [];
  const all = [...nodes, ...fromEnv];
  if (all.length === 0 && (nats === undefined || nats === ''))
    throw new InsightsError(
      'INVALID_ARGUMENT',
      "no mesh to talk to: pass --nats nats://host:port (the registry), --node host:port (a node's gRPC address), or set NATS_URL / INSIGHTS_NODES",
      { parameter: 'node' },
    );
  return { nodes: all, ...(nats ? { nats: natsWithCredentials(nats) } : {}), discoveryTimeoutMs: 5_000, ...meshTrust() };
}

/**
 * INSIGHTS_TRUSTED_KEYS (mesh public key files, comma-separated) and INSIGHTS_MESH_ID, as nodes
 * read them: with them the CLI believes only certified nodes and makes each prove its key.
 */
function meshTrust(env: NodeJS.ProcessEnv = process.env): Pick<ConnectOptions, 'trustedKeys' | 'meshId'> {
  const files = list(env.INSIGHTS_TRUSTED_KEYS);
  const trustedKeys = files.map((f) => {
    try {
      return f.includes('BEGIN PUBLIC KEY') ? f : readFileSync(f, 'utf8');
    } catch (e) {
      throw new InsightsError('INVALID_ARGUMENT', `INSIGHTS_TRUSTED_KEYS: cannot read ${f}: ${(e as Error).message}`, {
        parameter: 'INSIGHTS_TRUSTED_KEYS',
      });
    }
  });
  return {
    ...(trustedKeys.length > 0 ? { trustedKeys } : {}),
    ...(env.INSIGHTS_MESH_ID ? { meshId: env.INSIGHTS_MESH_ID } : {}),
  };
}
