import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import path from 'node:path';
import { decodeNodeCertificate, generateNodeKeys, nodeSign } from '@insights/policy';
import { certificateMatchesKey, type NodeIdentity } from '@insights/registry';
import type { Logger } from '@insights/runtime';
import type { WireProveResponse } from '@insights/wire';
import { InsightsError } from '@insights/sdk';
import { ConfigError, type NodeConfig } from './config.ts';

/** Where a node's key lives unless the config says otherwise (created on first start, mode 0600). */
export const NODE_KEY_FILE = 'node-key.pem';
/** Where `insights keys node --data-dir` puts the mesh's certificate for that key. */
export const NODE_CERT_FILE = 'node.cert';

export interface LoadedNodeIdentity extends NodeIdentity {
  readonly publicKeyPem: string;
  /** Signs a caller's nonce: the answer to Prove. */
  prove(nonce: Uint8Array): WireProveResponse;
}

const MIN_NONCE_BYTES = 16;
const MAX_NONCE_BYTES = 64;

/**
 * The node's Ed25519 key (from `identity.keyFile`, else `<dataDir>/node-key.pem`, generated on
 * first start) and the mesh's certificate for it (`identity.certificateFile`, else
 * `<dataDir>/node.cert` when present). A certificate for another key or node id stops the start:
 * the node would advertise something no client believes.
 */
export function loadNodeIdentity(config: NodeConfig, log: Logger): LoadedNodeIdentity {
  const keyFile = config.identity.keyFile ?? path.join(config.dataDir, NODE_KEY_FILE);
  let privateKeyPem: string;
  if (existsSync(keyFile)) privateKeyPem = readFileSync(keyFile, 'utf8');
  else if (config.identity.keyFile !== undefined)
    throw new ConfigError('identity.keyFile', `${keyFile} does not exist (create it with \`insights keys node\`)`);
  else {
    privateKeyPem = generateNodeKeys().privateKeyPem;
    mkdirSync(path.dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, privateKeyPem, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    log.info('created the node key', { file: keyFile });
  }
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  const certFile = config.identity.certificateFile ?? path.join(config.dataDir, NODE_CERT_FILE);
  const certificate = existsSync(certFile) ? readFileSync(certFile, 'utf8').trim() : undefined;
  if (certificate === undefined) {
    if (config.identity.certificateFile !== undefined)
      throw new ConfigError('identity.certificateFile', `${certFile} does not exist`);
    log.warn('no node certificate: clients that check the registry will ignore this node (see `insights keys node`)', {
      publicKey: publicKeyPem,
    });
  } else checkCertificate(certificate, config.id, publicKeyPem);
  return {
    privateKeyPem,
    publicKeyPem,
    certificate,
    prove(nonce) {
      if (nonce.length < MIN_NONCE_BYTES || nonce.length > MAX_NONCE_BYTES)
        throw new InsightsError(
          'INVALID_ARGUMENT',
          `nonce must be ${MIN_NONCE_BYTES} to ${MAX_NONCE_BYTES} bytes (got ${nonce.length})`,
          { parameter: 'nonce' },
        );
      return {
        nodeId: config.id,
        certificate: certificate ?? '',
        signature: nodeSign(privateKeyPem, 'challenge', config.id, nonce),
      };
    },
  };
}

function checkCertificate(certificate: string, nodeId: string, publicKeyPem: string): void {
  let node: string;
  try {
    node = decodeNodeCertificate(certificate).node;
  } catch (e) {
    throw new ConfigError('identity.certificateFile', (e as Error).message);
  }
  if (node !== nodeId) throw new ConfigError('identity.certificateFile', `the certificate is for node ${node}, not ${nodeId}`);
  if (!certificateMatchesKey(certificate, publicKeyPem))
    throw new ConfigError('identity.certificateFile', "the certificate is for another key than this node's");
}
