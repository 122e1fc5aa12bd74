import { readFileSync } from 'node:fs';
import type { ConnectOptions } from '@insights/client';
import { InsightsError } from '@insights/sdk';
import { natsWithCredentials } from './nats-credentials.ts';

export interface MeshFlags {
  node?: string[];
  nats?: string;
  /** A capability token (from `insights token` or a dashboard) every call carries. */
  capability?: string;
  /** A file holding that token (kept out of shell history and process listings). */
  capabilityFile?: string;
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
  const capability = capabilityFrom(flags);
  return {
    nodes: all,
    ...(nats ? { nats: natsWithCredentials(nats) } : {}),
    ...(capability ? { capability } : {}),
    discoveryTimeoutMs: 5_000,
    ...meshTrust(),
  };
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

/**
 * The capability the CLI presents: `--capability`, else `--capability-file`, else
 * INSIGHTS_CAPABILITY. It is an opaque token here; nodes verify it.
 */
export function capabilityFrom(flags: MeshFlags): string | undefined {
  if (flags.capability !== undefined && flags.capabilityFile !== undefined)
    throw new InsightsError('INVALID_ARGUMENT', 'give --capability or --capability-file, not both', {
      parameter: 'capability',
    });
  if (flags.capabilityFile !== undefined) {
    let token: string;
    try {
      token = readFileSync(flags.capabilityFile, 'utf8').trim();
    } catch (e) {
      throw new InsightsError(
        'INVALID_ARGUMENT',
        `--capability-file: cannot read ${flags.capabilityFile}: ${(e as Error).message}`,
        {
          parameter: 'capability-file',
        },
      );
    }
    if (token === '')
      throw new InsightsError('INVALID_ARGUMENT', `--capability-file: ${flags.capabilityFile} is empty`, {
        parameter: 'capability-file',
      });
    return token;
  }
  const token = (flags.capability ?? process.env.INSIGHTS_CAPABILITY ?? '').trim();
  return token === '' ? undefined : token;
}
