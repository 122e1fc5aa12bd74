import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { NodeConfig } from './config.ts';
import { ConfigError } from './config.ts';

export type NodeTls = NonNullable<NodeConfig['tls']>;

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  readonly requireClientCert: boolean;
}

/** Reads the node's certificate, key and authority once at start; a missing file is a ConfigError naming the key. */
export function readTlsMaterial(tls: NodeTls): TlsMaterial {
  return {
    cert: read(tls.certFile, 'tls.certFile'),
    key: read(tls.keyFile, 'tls.keyFile'),
    ca: tls.caFile === undefined ? undefined : read(tls.caFile, 'tls.caFile'),
    requireClientCert: tls.requireClientCert,
  };
}

/** gRPC server credentials: TLS, and with requireClientCert only clients whose certificate the authority signed. */
export function grpcServerCredentials(m: TlsMaterial | undefined): grpc.ServerCredentials {
  if (m === undefined) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(m.ca ?? null, [{ private_key: m.key, cert_chain: m.cert }], m.requireClientCert);
}

/**
 * Options for Fastify's `https`. With mutual TLS the handshake asks for a client certificate but
 * does not refuse its absence, so the probe paths (`/healthz`, `/readyz`) stay reachable for a
 * kubelet that has none; every other path then refuses an unverified client (`clientVerified`).
 */
export function httpsOptions(m: TlsMaterial): {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
} {
  return {
    key: m.key,
    cert: m.cert,
    ...(m.ca === undefined ? {} : { ca: m.ca }),
    requestCert: m.requireClientCert,
    rejectUnauthorized: false,
  };
}

/** True when the request came over TLS with a client certificate the authority signed. */
export function clientVerified(socket: unknown): boolean {
  return (socket as Partial<TLSSocket>).authorized === true;
}

/** What the node's own mesh client uses for nested calls: trust the same authority, present the node's certificate. */
export function nestedCallTls(tls: NodeTls | undefined): { caFile?: string; certFile: string; keyFile: string } | undefined {
  if (tls === undefined) return undefined;
  return { ...(tls.caFile === undefined ? {} : { caFile: tls.caFile }), certFile: tls.certFile, keyFile: tls.keyFile };
}

function read(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError(key, `cannot read ${file}: ${(e as Error).message}`);
  }
}
