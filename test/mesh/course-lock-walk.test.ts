import { connect, generateMeshKeys, mintCapability, parsePolicy, type Mesh } from '@insights/client';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { SHIPPED_MODULES } from '../support/tmp.ts';

/**
 * The README's instructor: every analytic locked to one course. Walks every view of every
 * shipped module and checks, from the node's own record of each authorization, that every call
 * the walk caused (the views and each nested call they made) had the lock wherever the analytic
 * has a `course` parameter, and that analytics without one were not broken by it.
 */
const COURSE = 'Walk/Course/1';
const SHARED_LIBRARIES = new Set(['analytics-common']);

describe('course lock - every view of the shipped modules, every nested call', () => {
  const keys = generateMeshKeys();
  let node: TestNode;
  let instructor: Mesh;

  beforeAll(async () => {
    const modules = readdirSync(SHIPPED_MODULES)
      .filter((m) => !SHARED_LIBRARIES.has(m))
      // lms-replica reads a SQL source this node does not have (test/sql covers it with one).
      .filter((m) => m !== 'lms-replica')
      .map((m) => path.join(SHIPPED_MODULES, m));
    node = await startTestNode({
      defaultIsolation: 'inline',
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
      ingest: { tokens: ['ingest-token-for-tests-0001'] }, // required capabilities need ingest tokens
      modules,
    });
    expect(node.failedModules).toEqual([]);
    const capability = mintCapability({
      privateKeyPem: keys.privateKeyPem,
      layers: [
        {
          policy: parsePolicy({ default: 'allow', rules: [{ match: '*', lock: { course: 'course' } }] }),
          context: { course: COURSE },
        },
      ],
      ttlSeconds: 600,
      subject: 'instructor',
    });
    instructor = await connect({ nodes: [node.grpcAddress], capability });
  }, 120_000);

  afterAll(async () => {
    await instructor?.close();
    await node?.stop();
  });

  it('walk - every call carries the lock where the analytic has a course, and nothing breaks for lack of one', async () => {
    const analytics = (await instructor.describe()).analytics;
    const views = analytics.filter((a) => a.kind === 'view');
    expect(views.length).toBeGreaterThan(5);
    const hasCourse = new Set(
      (
        await connect({ nodes: [node.grpcAddress], signingKey: keys.privateKeyPem }).then(async (admin) => {
          const all = (await admin.describe()).analytics;
          await admin.close();
          return all;
        })
      )
        .filter((a) => 'course' in ((a.params.properties as Record<string, unknown> | undefined) ?? {}))
        .map((a) => `${a.module}.${a.name}`),
    );
    const failures: string[] = [];
    for (const v of views) {
      const before = node.logs.length;
      await instructor.view[`${v.module}.${v.name}`]!({}).catch((e: Error & { code?: string }) => {
        // Views may need arguments or data; what they must never do is trip over the lock.
        if (e.code === 'PERMISSION_DENIED' || /unknown parameter/.test(e.message))
          failures.push(`${v.module}.${v.name}: ${e.message}`);
      });
      expect(node.logs.slice(before).some((r) => r.msg === 'call authorized' && r.analytic === `${v.module}.${v.name}`)).toBe(
        true,
      );
    }
    expect(failures).toEqual([]);
    const authorized = node.logs.filter((r) => r.msg === 'call authorized' && r.authority !== undefined);
    // The walk made nested calls (plot_grades -> get_grades at least), each one checked.
    expect(authorized.some((r) => r.analytic === 'examples.get_grades')).toBe(true);
    for (const r of authorized) {
      const locked = r.locked as Record<string, unknown>;
      if (hasCourse.has(String(r.analytic))) expect(locked, String(r.analytic)).toEqual({ course: COURSE });
      else expect(locked, String(r.analytic)).toEqual({});
    }
  }, 120_000);
});
