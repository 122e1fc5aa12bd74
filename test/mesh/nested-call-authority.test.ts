import { connect, generateMeshKeys, mintCapability, parsePolicy, type Mesh, type Policy } from '@insights/client';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS, startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';

/**
 * Regressions of issue 14: a restricted caller reached what its capability denies through a
 * view's nested calls (`ctx.mesh`), on one node and across nodes. Nested calls now carry the
 * caller's authority: deny wins and locks are filled in at every hop.
 */
const keys = generateMeshKeys();
const token = (policy: Policy, context: Record<string, string> = {}, subject = 'tester') =>
  mintCapability({
    privateKeyPem: keys.privateKeyPem,
    layers: [{ policy: parsePolicy(policy), context }],
    ttlSeconds: 600,
    subject,
  });
const ingest = { tokens: ['ingest-token-for-tests-0001'] };
const capabilities = {
  trustedKeys: [keys.publicKeyPem],
  required: true,
  meshCapability: token({ default: 'allow' }, {}, 'node'),
};

const denyGrades: Policy = { default: 'allow', rules: [{ match: 'examples.get_grades', effect: 'deny' }] };
const lockGrades: Policy = { default: 'allow', rules: [{ match: 'examples.get_grades', lock: { course: 'course' } }] };
const denyThreeName: Policy = { default: 'allow', rules: [{ match: 'djt_three_name', effect: 'deny' }] };

describe.skipIf(NO_NATS)('nested calls - the caller authority travels with the call', () => {
  let nats: NatsServer;
  const nodes: TestNode[] = [];
  const meshes: Mesh[] = [];
  let solo: TestNode;

  /** A client of the whole mesh whose calls carry `capability`. */
  const as = async (capability: string) => {
    const m = await connect({ nats: nats.as('client'), capability });
    meshes.push(m);
    return m;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    const start = async (id: string, modules: string[]) => {
      const n = await startTestNode({ id, nats: nats.as('node'), capabilities, ingest, modules });
      nodes.push(n);
      return n;
    };
    // Process sandboxes (the default isolation): the sandbox names its call, the host holds the authority.
    [solo] = await Promise.all([
      start('solo', [
        path.join(SHIPPED_MODULES, 'examples'),
        path.join(SHIPPED_MODULES, 'testmodule'),
        path.join(FIXTURE_MODULES, 'relay'),
      ]),
      start('front', [path.join(FIXTURE_MODULES, 'relay')]),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await nats?.stop();
  });

  describe('on one node', () => {
    const direct = async (capability: string) => {
      const m = await connect({ nodes: [solo.grpcAddress], capability });
      meshes.push(m);
      return m;
    };

    it('a view cannot read what the capability denies (plot_grades -> get_grades)', async () => {
      const allowed = await direct(token({ default: 'allow' }));
      expect(await allowed.view['examples.plot_grades']!({ course: 'C1' })).toMatchObject({ type: 'html' });
      const denied = await direct(token(denyGrades));
      await expect(denied.view['examples.plot_grades']!({ course: 'C1' })).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringContaining('examples.get_grades'),
      });
    });

    it("a course lock on get_grades holds inside the view: no other course's histogram", async () => {
      const prof = await direct(token(lockGrades, { course: 'C1' }));
      expect(await prof.view['examples.plot_grades']!({ course: 'C1' })).toMatchObject({ type: 'html' });
      await expect(prof.view['examples.plot_grades']!({ course: 'C2' })).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        parameter: 'course',
      });
      // The view's default course is another course too.
      await expect(prof.view['examples.plot_grades']!({})).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    });

    it("a memoized analytic never hands one caller what its nested calls read under another's lock", async () => {
      const lockAll: Policy = { default: 'allow', rules: [{ match: '*', lock: { course: 'course' } }] };
      const c1 = await direct(token(lockAll, { course: 'C1' }));
      const c2 = await direct(token(lockAll, { course: 'C2' }));
      const first = await c1.query['relay.memo_grades']!();
      const second = await c2.query['relay.memo_grades']!();
      expect(second).toEqual(await c2.query['examples.get_grades']!({ learners: 3 }));
      expect(second).not.toEqual(first);
      expect(await c1.query['relay.memo_grades']!()).toEqual(first); // still memoized for the same caller
    });

    it('djt_check_three_name cannot reach a denied djt_three_name', async () => {
      expect(await (await direct(token({ default: 'allow' }))).query.djt_check_three_name!()).toBe('Works');
      await expect((await direct(token(denyThreeName))).query.djt_check_three_name!()).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
      });
    });
  });

  describe('across two nodes (the analytic called is on the other node)', () => {
    let back: TestNode;

    beforeAll(async () => {
      // solo leaves, so examples and testmodule are served by the back node only.
      await solo.stop();
      nodes.splice(nodes.indexOf(solo), 1);
      back = await startTestNode({
        id: 'back',
        nats: nats.as('node'),
        capabilities,
        ingest,
        modules: [path.join(SHIPPED_MODULES, 'examples'), path.join(SHIPPED_MODULES, 'testmodule')],
      });
      nodes.push(back);
      // The front node's own mesh client must see the back node before nested calls can route.
      const admin = await as(token({ default: 'allow' }));
      let answer: unknown;
      for (const until = Date.now() + 30_000; answer !== 200 && Date.now() < until;) {
        answer = await admin.query['relay.grades_via_mesh']!({ course: 'C1' }).catch((e: Error) => e.message);
        if (answer !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(answer).toBe(200);
    }, 120_000);

    it('a view on the front node cannot read get_grades on the back node when denied', async () => {
      const denied = await as(token(denyGrades));
      await expect(denied.query['relay.grades_via_mesh']!({ course: 'C1' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      // Two hops: relay (front) -> plot_grades (back, allowed) -> get_grades (back, denied by the forwarded capability).
      await expect(denied.view['relay.plot_via_mesh']!({ course: 'C1' })).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringContaining('examples.get_grades'),
      });
      const hop = back.logs.find((r) => r.msg === 'call denied' && r.analytic === 'examples.get_grades');
      expect(String(hop?.authority)).toMatch(/^tester#\S+ via node#\S+/);
    });

    it('a course lock is filled in and enforced on the back node', async () => {
      const prof = await as(token(lockGrades, { course: 'C1' }));
      expect(await prof.query['relay.grades_via_mesh']!({})).toBe(200);
      await expect(prof.query['relay.grades_via_mesh']!({ course: 'C2' })).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
        parameter: 'course',
      });
      await expect(prof.view['relay.plot_via_mesh']!({ course: 'C2' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      expect(await prof.view['relay.plot_via_mesh']!({ course: 'C1' })).toMatchObject({ type: 'html' });
    });

    it('djt_check_three_name on the back node, called from the front, cannot reach a denied djt_three_name', async () => {
      expect(await (await as(token({ default: 'allow' }))).query['relay.three_via_mesh']!()).toBe('Works');
      await expect((await as(token(denyThreeName))).query['relay.three_via_mesh']!()).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
      });
    });
  });
});
