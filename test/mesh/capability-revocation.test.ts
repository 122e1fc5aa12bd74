import { connect, generateMeshKeys, mintCapability, parsePolicy, type Mesh } from '@insights/client';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';
import { NO_NATS, natsEnv, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES } from '../support/tmp.ts';
import { openRevocationBucket, revokeCapability, sweepExpiredRevocations } from '@insights/node';
import { CLOCK_SKEW_MS } from '@insights/policy';
import { connectNatsWithRetry } from '@insights/registry';

/** Issue 14: a capability could not be withdrawn before it expired. Now `insights capability revoke <id>` does it mesh-wide. */
describe.skipIf(NO_NATS)('capability revocation - by id, through the NATS revocation bucket the nodes watch', () => {
  const keys = generateMeshKeys();
  const mint = (subject: string) =>
    mintCapability({
      privateKeyPem: keys.privateKeyPem,
      layers: [{ policy: parsePolicy({ default: 'allow' }), context: {} }],
      ttlSeconds: 3600,
      subject,
    });
  let nats: NatsServer;
  let node: TestNode;
  const meshes: Mesh[] = [];
  const as = async (token: string) => {
    const m = await connect({ nodes: [node.grpcAddress], capability: token });
    meshes.push(m);
    return m;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    node = await startTestNode({
      defaultIsolation: 'inline',
      nats: nats.as('node'),
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
      ingest: { tokens: ['ingest-token-for-tests-0001'] },
      modules: [path.join(SHIPPED_MODULES, 'examples')],
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await node?.stop();
    await nats?.stop();
  });

  it('insights capability revoke <capability>: the node refuses that capability from then on, and only that one', async () => {
    const leaked = mint('leaked');
    const other = mint('other');
    const leakedMesh = await as(leaked);
    expect(await leakedMesh.query.hello_user!({ user: 'a' })).toBe('Hello, a!');
    const { jti: id, exp } = JSON.parse(Buffer.from(leaked.split('.')[1]!, 'base64url').toString()) as {
      jti: string;
      exp: number;
    };
    // The capability itself (not only its id): the entry then knows when to go (its expiry).
    const r = await runCli(
      ['capability', 'revoke', leaked, '--nats', nats.url, '--reason', 'laptop stolen'],
      natsEnv(nats, 'operator'),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`revoked capability ${id} (kept until ${new Date(exp * 1000).toISOString()})`);
    let error: unknown;
    for (const until = Date.now() + 10_000; error === undefined && Date.now() < until;) {
      error = await leakedMesh.query.hello_user!({ user: 'a' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (error === undefined) await new Promise((res) => setTimeout(res, 100));
    }
    expect(error).toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining(`capability ${id} has been revoked`),
    });
    expect(await (await as(other)).query.hello_user!({ user: 'b' })).toBe('Hello, b!');
  }, 60_000);

  it('a malformed id is refused naming the parameter', async () => {
    const r = await runCli(['capability', 'revoke', 'not/an id', '--nats', nats.url], natsEnv(nats, 'operator'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/INVALID_ARGUMENT.*capability id/);
  }, 60_000);

  it('an entry is swept once its capability has expired anyway; entries of live or unknown expiry stay', async () => {
    const nc = await connectNatsWithRetry(nats.as('operator'), { signal: AbortSignal.timeout(10_000) });
    try {
      const long = Date.now() - 2 * CLOCK_SKEW_MS;
      expect(await revokeCapability(nc, 'expired-anyway', 'test', long)).toEqual({ swept: 1 }); // itself, at once
      await revokeCapability(nc, 'expires-later', 'test', Date.now() + 3_600_000);
      await revokeCapability(nc, 'expiry-unknown', 'test');
      const kv = await openRevocationBucket(nc);
      const keys = async () => {
        const out: string[] = [];
        for await (const k of await kv.keys()) out.push(k);
        return out;
      };
      expect(await keys()).toEqual(expect.arrayContaining(['expires-later', 'expiry-unknown']));
      expect(await keys()).not.toContain('expired-anyway');
      // An hour later (the sweep's clock moved on): the entry of unknown expiry outlives its capability.
      expect(await sweepExpiredRevocations(kv, Date.now() + 3_600_000 + 2 * CLOCK_SKEW_MS)).toBeGreaterThan(0);
      expect(await keys()).toContain('expiry-unknown');
      expect(await keys()).not.toContain('expires-later');
    } finally {
      await nc.drain();
    }
  });
});
