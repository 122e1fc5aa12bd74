import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CertFiles {
  readonly caFile: string;
  readonly caKeyFile: string;
  /** A certificate for loopback (localhost, 127.0.0.1, ::1), good for servers and clients. */
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Creates a throw-away authority and a certificate it signs, with `openssl` (node:crypto cannot
 * make X.509 certificates). For the local cluster and tests only: production certificates come
 * from the operator's authority (deploy/SECURITY.md).
 */
export function makeCertificates(dir: string, name = 'localhost', days = 2): CertFiles {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const ca = f('ca.pem');
  const caKey = f('ca.key');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    String(days),
    '-subj',
    `/CN=Insights ${name} CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return issue(dir, { caFile: ca, caKeyFile: caKey }, name, days);
}

/** Another certificate from an existing authority (e.g. a client certificate for mutual TLS). */
export function issue(dir: string, ca: { caFile: string; caKeyFile: string }, name: string, days = 2): CertFiles {
  const f = (n: string) => path.join(dir, n);
  const key = f(`${name}.key`);
  const csr = f(`${name}.csr`);
  const cert = f(`${name}.pem`);
  const ext = f(`${name}.ext`);
  // serverAuth and clientAuth: a node presents the same certificate to the nodes it calls.
  writeFileSync(
    ext,
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n',
  );
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    `/CN=${name}`,
  ]);
  run([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.caFile,
    '-CAkey',
    ca.caKeyFile,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    String(days),
    '-extfile',
    ext,
  ]);
  return { caFile: ca.caFile, caKeyFile: ca.caKeyFile, certFile: cert, keyFile: key };
}
