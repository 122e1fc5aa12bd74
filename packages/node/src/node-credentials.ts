import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import path from 'node:path';
import { generateNodeKeys, issueNodeCertificate } from '@insights/policy';
import { assertNodeId } from '@insights/registry';
import { NODE_CERT_FILE, NODE_KEY_FILE } from './node-identity.ts';

export interface NodeCredentialsOptions {
  /** The mesh's private key (PEM): the operator's, from `insights keygen`. */
  readonly meshPrivateKeyPem: string;
  readonly nodeId: string;
  readonly meshId?: string | undefined;
  /** Where node-key.pem and node.cert go: the node's data folder, where it looks by default. */
  readonly dir: string;
  readonly ttlSeconds?: number | undefined;
}

/**
 * What `insights keys node`, `insights cluster up` and the demo do for a node: its key (kept if
 * the folder has one, so a renewal does not change the node's identity) and the mesh's
 * certificate for it, written where the node finds them.
 */
export function writeNodeCredentials(o: NodeCredentialsOptions): {
  keyFile: string;
  certificateFile: string;
  publicKeyPem: string;
} {
  assertNodeId(o.nodeId);
  mkdirSync(o.dir, { recursive: true });
  const keyFile = path.join(o.dir, NODE_KEY_FILE);
  if (!existsSync(keyFile)) {
    writeFileSync(keyFile, generateNodeKeys().privateKeyPem, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
  }
  const publicKeyPem = createPublicKey(readFileSync(keyFile, 'utf8')).export({ type: 'spki', format: 'pem' }).toString();
  const certificate = issueNodeCertificate({
    meshPrivateKeyPem: o.meshPrivateKeyPem,
    nodeId: o.nodeId,
    nodePublicKeyPem: publicKeyPem,
    meshId: o.meshId,
    ...(o.ttlSeconds === undefined ? {} : { ttlSeconds: o.ttlSeconds }),
  });
  const certificateFile = path.join(o.dir, NODE_CERT_FILE);
  writeFileSync(certificateFile, `${certificate}\n`);
  return { keyFile, certificateFile, publicKeyPem };
}
