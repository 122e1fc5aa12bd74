import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { generateMeshKeys, type MeshKeyPair } from '@insights/client';
import { writeNodeCredentials } from '@insights/node';
import type { MeshNatsAuth } from '@insights/registry';

/** The local mesh's id: node certificates and capabilities name it. */
export const LOCAL_MESH_ID = 'local';

export interface ClusterSecrets {
  readonly meshKeys: MeshKeyPair;
  /** mesh.key (private, 0600) and mesh.pub. */
  readonly meshKeyFile: string;
  readonly meshPublicKeyFile: string;
  /** NKey seed file per NATS role and per node (`node:<id>`). */
  readonly natsSeedFiles: Readonly<Record<string, string>>;
  /** Per node id: its key and the mesh's certificate for it. */
  readonly nodes: ReadonlyMap<string, { keyFile: string; certificateFile: string }>;
  /** The deployment's key for learner ids (ctx.learnerId): one for every node, so ids agree. */
  readonly learnerIdKey: string;
}

/**
 * Everything `insights cluster up` hands out, as the operator of a real mesh would: the mesh key
 * pair, a NATS seed per role and per node, and for each node its key and certificate.
 */
export function writeClusterSecrets(dir: string, auth: MeshNatsAuth, nodeIds: readonly string[]): ClusterSecrets {
  const meshKeys = generateMeshKeys();
  mkdirSync(dir, { recursive: true });
  const meshKeyFile = path.join(dir, 'mesh.key');
  const meshPublicKeyFile = path.join(dir, 'mesh.pub');
  writeFileSync(meshKeyFile, meshKeys.privateKeyPem, { mode: 0o600 });
  writeFileSync(meshPublicKeyFile, meshKeys.publicKeyPem);
  const natsSeedFiles = auth.writeSeedFiles(path.join(dir, 'nats-creds'));
  const nodes = new Map(
    nodeIds.map((id) => {
      const { keyFile, certificateFile } = writeNodeCredentials({
        meshPrivateKeyPem: meshKeys.privateKeyPem,
        nodeId: id,
        meshId: LOCAL_MESH_ID,
        dir: path.join(dir, 'identity', id),
      });
      return [id, { keyFile, certificateFile }] as const;
    }),
  );
  const learnerIdKey = randomBytes(32).toString('hex');
  return { meshKeys, meshKeyFile, meshPublicKeyFile, natsSeedFiles, nodes, learnerIdKey };
}
