import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { connect } from '@insights/client';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issue, makeCertificates, type CertFiles } from '../../deploy/local/certs.ts';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES, tempDir } from '../support/tmp.ts';

/** GET over HTTPS trusting `ca`, optionally with a client certificate. */
function httpsGet(url: string, tls: { ca: string; cert?: string; key?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(tls.ca),
        servername: 'localhost',
        ...(tls.cert === undefined ? {} : { cert: readFileSync(tls.cert), key: readFileSync(tls.key!) }),
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const examples = path.join(SHIPPED_MODULES, 'examples');

describe('security - TLS and mutual TLS on gRPC and HTTP', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let certs: CertFiles;
  let client: CertFiles;
  let rogue: CertFiles;
  const nodes: TestNode[] = [];

  beforeAll(async () => {
    tmp = await tempDir();
    certs = makeCertificates(path.join(tmp.dir, 'mesh'));
    client = issue(path.join(tmp.dir, 'mesh'), certs, 'researcher');
    rogue = makeCertificates(path.join(tmp.dir, 'rogue'), 'intruder');
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await tmp.remove();
  });

  const tlsNode = async (requireClientCert: boolean, extra: Record<string, unknown> = {}) => {
    const n = await startTestNode({
      defaultIsolation: 'inline',
      modules: [examples],
      tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, requireClientCert },
      ...extra,
    });
    nodes.push(n);
    return n;
  };

  it('tls - a client trusting the authority calls; a plaintext client cannot; HTTPS serves the same node', async () => {
    const n = await tlsNode(false);
    const mesh = await connect({ nodes: [n.grpcAddress], tls: { caFile: certs.caFile } });
    expect(await mesh.query.hello_user!({ user: 'tls' })).toBe('Hello, tls!');
    await mesh.close();
    const plain = await connect({ nodes: [n.grpcAddress], discoveryTimeoutMs: 500 });
    // The handshake fails, so the node never shows up: nothing serves the name.
    await expect(plain.query.hello_user!({ user: 'x' }, { timeoutMs: 1000 })).rejects.toThrow();
    await plain.close();
    const r = await httpsGet(`https://${n.httpAddress}/query/hello_user?user=web`, { ca: certs.caFile });
    expect(r).toEqual({ status: 200, body: '"Hello, web!"' });
  });

  it('mtls - only clients with a certificate from the authority get in; probes stay open for the kubelet', async () => {
    const n = await tlsNode(true);
    const good = await connect({
      nodes: [n.grpcAddress],
      tls: { caFile: certs.caFile, certFile: client.certFile, keyFile: client.keyFile },
    });
    expect(await good.query.hello_user!({ user: 'mtls' })).toBe('Hello, mtls!');
    await good.close();
    for (const tls of [{ caFile: certs.caFile }, { caFile: certs.caFile, certFile: rogue.certFile, keyFile: rogue.keyFile }]) {
      const bad = await connect({ nodes: [n.grpcAddress], tls, discoveryTimeoutMs: 500 });
      await expect(bad.query.hello_user!({ user: 'x' }, { timeoutMs: 1000 })).rejects.toThrow();
      await bad.close();
    }
    const base = `https://${n.httpAddress}`;
    expect((await httpsGet(`${base}/query/hello_user?user=a`, { ca: certs.caFile })).status).toBe(401);
    expect(
      (await httpsGet(`${base}/query/hello_user?user=a`, { ca: certs.caFile, cert: rogue.certFile, key: rogue.keyFile })).status,
    ).toBe(401);
    expect(
      await httpsGet(`${base}/query/hello_user?user=a`, { ca: certs.caFile, cert: client.certFile, key: client.keyFile }),
    ).toEqual({ status: 200, body: '"Hello, a!"' });
    expect((await httpsGet(`${base}/healthz`, { ca: certs.caFile })).status).toBe(200);
    expect((await httpsGet(`${base}/readyz`, { ca: certs.caFile })).status).toBe(200);
  });

  it.skipIf(NO_NATS)(
    'mtls - nodes advertise TLS; a registry client and nested calls between nodes use certificates',
    async () => {
      const nats: NatsServer = await startNatsServer();
      try {
        await tlsNode(true, { id: 'tls-callee', nats: nats.as('node'), registry: { ttlMs: 1500 } });
        await tlsNode(true, {
          id: 'tls-caller',
          nats: nats.as('node'),
          registry: { ttlMs: 1500 },
          modules: [path.join(FIXTURE_MODULES, 'caller')],
        });
        const mesh = await connect({
          nats: nats.as('client'),
          tls: { caFile: certs.caFile, certFile: client.certFile, keyFile: client.keyFile },
        });
        try {
          await expect.poll(async () => (await mesh.describe()).nodes.length, { timeout: 5000 }).toBe(2);
          const nc = await natsConnect(nats.connectOptions('admin'));
          const ad = await (await new Kvm(nc).create('insights-registry')).get('node.tls-callee');
          expect(ad?.json<{ tls?: boolean }>().tls).toBe(true);
          await nc.close();
          // caller (on tls-caller) calls examples.hello_user on tls-callee with the node's own certificate.
          await expect
            .poll(() => mesh.query.greet_via_mesh!({ user: 'nested' }).catch((e: Error) => e.message), { timeout: 5000 })
            .toBe('relayed: Hello, nested!');
        } finally {
          await mesh.close();
        }
      } finally {
        while (nodes.length > 2) await nodes.pop()!.stop();
        await nats.stop();
      }
    },
  );
});
