import * as grpc from '@grpc/grpc-js';
import { connect, generateMeshKeys, local, mintCapability, parsePolicy, type Mesh, type Policy } from '@insights/client';
import { fromGrpcError, insightsClientConstructor } from '@insights/wire';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../fixtures/modules/echo/index.ts';
import { runCli } from '../support/cli-process.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, tempDir } from '../support/tmp.ts';

const instructor: Policy = {
  default: 'allow',
  rules: [
    { match: 'admin_*', effect: 'deny' },
    { match: 'echo.*', lock: { course: 'course' } },
  ],
};

type RawClient = grpc.Client & {
  Call(req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: { result: { data: Buffer } }) => void): void;
};

describe('mesh - policies enforced by the nodes', () => {
  const keys = generateMeshKeys();
  let node: TestNode;
  let admin: Mesh;
  let raw: RawClient;

  /** A call that bypasses the client library entirely. */
  const rawCall = (name: string, args: object, capability = '') =>
    new Promise<unknown>((resolve, reject) =>
      raw.Call(
        { kind: 1, name, argsJson: Buffer.from(JSON.stringify(args)), capability },
        { deadline: Date.now() + 5000 },
        (e, r) => (e ? reject(fromGrpcError(e)) : resolve(JSON.parse(r.result.data.toString()))),
      ),
    );

  beforeAll(async () => {
    node = await startTestNode({
      defaultIsolation: 'inline',
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
      ingest: { tokens: ['ingest-token-for-tests-0001'] }, // required capabilities need ingest tokens
      modules: [path.join(FIXTURE_MODULES, 'echo')],
    });
    admin = await connect({ nodes: [node.grpcAddress], signingKey: keys.privateKeyPem });
    raw = new (insightsClientConstructor())(node.grpcAddress, grpc.credentials.createInsecure()) as unknown as RawClient;
  });
  afterAll(async () => {
    raw.close();
    await admin.close();
    await node.stop();
  });

  it('an instructor proxy: course locked in, denied analytics gone, locked parameters gone from schemas', async () => {
    const prof = admin.restrict(instructor, { course: 'MITx/6.002x' }, { subject: 'prof' });
    expect(Object.keys(prof.query).filter((n) => !n.includes('.'))).toEqual(['course_histogram', 'course_report']);
    const d = await prof.describe();
    expect(d.analytics.find((a) => a.name === 'course_report')?.params).toMatchObject({
      properties: { learner: {} },
      required: [],
    });
    expect(d.analytics.find((a) => a.name === 'course_report')?.params).not.toHaveProperty('properties.course');
    expect(await prof.query.course_report!({ learner: 'ada' })).toEqual({ course: 'MITx/6.002x', learner: 'ada' });
    await expect(prof.query.admin_secret!()).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(prof.query.course_report!({ course: 'other' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      parameter: 'course',
    });
  });

  it('restricting a restricted proxy only narrows it', async () => {
    const prof = admin.restrict(instructor, { course: 'C1' });
    const histogramsOnly = prof.restrict({ default: 'deny', rules: [{ match: '*histogram*' }] });
    expect(await histogramsOnly.query.course_histogram!({})).toEqual({ course: 'C1', bins: 10 });
    await expect(histogramsOnly.query.course_report!({})).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const tryToWiden = histogramsOnly.restrict({ default: 'allow' });
    await expect(tryToWiden.query.admin_secret!()).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  describe('raw gRPC calls that bypass the client', () => {
    const mint = (policy: Policy, context: Record<string, string>, ttlSeconds = 60, now?: number) =>
      mintCapability({
        privateKeyPem: keys.privateKeyPem,
        layers: [{ policy: parsePolicy(policy), context }],
        ttlSeconds,
        ...(now ? { now } : {}),
      });

    it('no capability on a node that requires one: PERMISSION_DENIED', async () => {
      await expect(rawCall('admin_secret', {})).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/requires a capability/),
      });
    });

    it('a valid capability works, with the lock applied by the node', async () => {
      expect(await rawCall('course_report', {}, mint(instructor, { course: 'C9' }))).toEqual({ course: 'C9' });
    });

    it('altered, foreign, expired or denied: PERMISSION_DENIED and no data', async () => {
      const token = mint(instructor, { course: 'C9' });
      const [pre, body, sig] = token.split('.') as [string, string, string];
      const altered = Buffer.from(Buffer.from(body, 'base64url').toString().replace('C9', 'C1')).toString('base64url');
      await expect(rawCall('course_report', {}, `${pre}.${altered}.${sig}`)).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/signature/),
      });
      const foreign = mintCapability({
        privateKeyPem: generateMeshKeys().privateKeyPem,
        layers: [{ policy: parsePolicy({ default: 'allow' }), context: {} }],
        ttlSeconds: 60,
      });
      await expect(rawCall('admin_secret', {}, foreign)).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/does not trust/),
      });
      const expired = mint({ default: 'allow' }, {}, 60, Date.now() - 7_200_000);
      await expect(rawCall('admin_secret', {}, expired)).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/expired/),
      });
      await expect(rawCall('admin_secret', {}, token)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      await expect(rawCall('course_report', { course: 'C1' }, token)).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        parameter: 'course',
      });
    });

    it('HTTP honours the same capability', async () => {
      const token = mint(instructor, { course: 'C7' });
      const base = `http://${node.httpAddress}`;
      expect((await fetch(`${base}/query/course_report`)).status).toBe(403);
      const ok = await fetch(`${base}/query/course_report?learner=x`, { headers: { authorization: `Bearer ${token}` } });
      expect(await ok.json()).toEqual({ course: 'C7', learner: 'x' });
      const denied = await fetch(`${base}/query/admin_secret`, { headers: { authorization: `Bearer ${token}` } });
      expect(denied.status).toBe(403);
      const schema = (await (await fetch(`${base}/schema`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        modules: { analytics: { name: string }[] }[];
      };
      expect(schema.modules[0]?.analytics.map((a) => a.name).sort()).toEqual(['course_histogram', 'course_report']);
    });
  });

  it('insights keygen and insights token mint a capability a raw caller can use', async () => {
    const tmp = await tempDir();
    try {
      const gen = await runCli(['keygen', '--out', tmp.dir]);
      expect(gen.code, gen.stderr).toBe(0);
      const policyFile = path.join(tmp.dir, 'instructor.json');
      await writeFile(policyFile, JSON.stringify(instructor));
      const r = await runCli([
        'token',
        '--policy',
        policyFile,
        '--context',
        '{"course":"CLI-1"}',
        '--key',
        path.join(tmp.dir, 'mesh.key'),
        '--ttl',
        '120',
      ]);
      expect(r.code, r.stderr).toBe(0);
      // The token is signed by the freshly generated key, which this node does not trust...
      await expect(rawCall('course_report', {}, r.stdout.trim())).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      // ...and is accepted by a node that trusts it.
      const trusting = await startTestNode({
        defaultIsolation: 'inline',
        capabilities: { trustedKeys: [path.join(tmp.dir, 'mesh.pub')], required: true },
        ingest: { tokens: ['ingest-token-for-tests-0001'] },
        modules: [path.join(FIXTURE_MODULES, 'echo')],
      });
      try {
        const viaToken = await connect({ nodes: [trusting.grpcAddress], capability: r.stdout.trim() });
        expect(await viaToken.query.course_report!({})).toEqual({ course: 'CLI-1' });
        expect(Object.keys(viaToken.query)).not.toContain('admin_secret');
        await viaToken.close();
      } finally {
        await trusting.stop();
      }
    } finally {
      await tmp.remove();
    }
  });
});

describe('policies in local mode (applied by the proxy, no server)', () => {
  it('locks and denies the same way', async () => {
    const mesh = await local({ modules: [echo] });
    try {
      const prof = mesh.restrict(instructor, { course: 'L1' });
      expect(await prof.query.course_report!({})).toEqual({ course: 'L1' });
      await expect(prof.query.admin_secret!()).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    } finally {
      await mesh.close();
    }
  });
});
