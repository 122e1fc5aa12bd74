import { writeNodeCredentials } from '@insights/node';
import type { MeshKeyPair } from '@insights/client';
import { tempDir } from './tmp.ts';

/**
 * A node key and the mesh's certificate for it, in a temporary folder, as `identity` settings
 * for startTestNode (what `insights keys node` makes for an operator).
 */
export async function certifiedIdentity(
  mesh: MeshKeyPair,
  nodeId: string,
  meshId?: string,
): Promise<{ identity: { keyFile: string; certificateFile: string; meshId?: string }; remove(): Promise<void> }> {
  const tmp = await tempDir('insights-identity-');
  const files = writeNodeCredentials({ meshPrivateKeyPem: mesh.privateKeyPem, nodeId, meshId, dir: tmp.dir });
  return {
    identity: { keyFile: files.keyFile, certificateFile: files.certificateFile, ...(meshId === undefined ? {} : { meshId }) },
    remove: tmp.remove,
  };
}
