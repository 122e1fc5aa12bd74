import { connect, generateMeshKeys, mintCapability, parsePolicy, type Mesh, type Policy } from '@insights/client';
import type { TableResult } from '@insights/sdk';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES } from '../support/tmp.ts';

/** Declares `student` as a learner field (not in the node's list). */
const ROSTER = path.join(FIXTURE_MODULES, 'roster');
const NODE_KEYS = { alpha: 'a'.repeat(32), beta: 'b'.repeat(32) };

/**
 * Research access without identities: a policy marked `pseudonymise` sees learner ids in results
 * as keyed pseudonyms (stable across calls, different per project) and may pass them back as
 * parameters; results that cannot be pseudonymised field by field (HTML views) are refused.
 */
describe('pseudonymised access - keyed pseudonyms per project', () => {
  const keys = generateMeshKeys();
  const token = (policy: Policy) =>
    mintCapability({
      privateKeyPem: keys.privateKeyPem,
      layers: [{ policy: parsePolicy(policy), context: {} }],
      ttlSeconds: 600,
    });
  let node: TestNode;
  const meshes: Mesh[] = [];
  const as = async (policy: Policy, on: TestNode = node) => {
    const m = await connect({ nodes: [on.grpcAddress], capability: token(policy) });
    meshes.push(m);
    return m;
  };
  const ALPHA: Policy = { default: 'allow', pseudonymise: { project: 'alpha' } };

  beforeAll(async () => {
    node = await startTestNode({
      defaultIsolation: 'inline',
      capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
      ingest: { tokens: ['ingest-token-for-tests-0001'] },
      pseudonyms: { keys: NODE_KEYS },
      // roster in a process sandbox: its declared fields reach the node in the manifest it reports.
      modules: [
        path.join(FIXTURE_MODULES, 'echo'),
        path.join(SHIPPED_MODULES, 'examples'),
        { path: ROSTER, isolation: 'process' },
      ],
    });
  });
  afterAll(async () => {
    await Promise.all(meshes.map((m) => m.close()));
    await node.stop();
  });

  it('stable across calls, different between projects, accepted back as parameters; plain callers see ids', async () => {
    const alpha = await as({ default: 'allow', pseudonymise: { project: 'alpha' } });
    const beta = await as({ default: 'allow', pseudonymise: { project: 'beta' } });
    const plain = await as({ default: 'allow' });
    const a1 = (await alpha.query['echo.course_report']!({ course: 'C1', learner: 'ada' })) as {
      learner: string;
      course: string;
    };
    const a2 = (await alpha.query['echo.course_report']!({ course: 'C1', learner: 'ada' })) as { learner: string };
    const b1 = (await beta.query['echo.course_report']!({ course: 'C1', learner: 'ada' })) as { learner: string };
    expect(a1.learner).toMatch(/^pn1\.[\w-]{43}$/);
    expect(a1.course).toBe('C1'); // only learner fields change
    expect(a2.learner).toBe(a1.learner);
    expect(b1.learner).not.toBe(a1.learner);
    expect(await plain.query['echo.course_report']!({ course: 'C1', learner: 'ada' })).toEqual({ course: 'C1', learner: 'ada' });
    // The module receives the id behind the pseudonym (else it would echo a pseudonym of the pseudonym).
    expect(await alpha.query['echo.course_report']!({ course: 'C1', learner: a1.learner })).toEqual(a1);
    await expect(
      alpha.query['echo.course_report']!({ course: 'C1', learner: 'pn1.unknownunknownunknown' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      parameter: 'learner',
    });
  });

  it('a view that returns HTML is refused to a pseudonymised caller; a project without a key is refused', async () => {
    const alpha = await as({ default: 'allow', pseudonymise: { project: 'alpha' } });
    await expect(alpha.view['examples.plot_grades']!({ course: 'C1' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const res = await fetch(`http://${node.httpAddress}/query/echo.course_report?course=C1`, {
      headers: { authorization: `Bearer ${token({ default: 'allow', pseudonymise: { project: 'gamma' } })}` },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('no pseudonym key for project gamma');
  });

  it("a module's declared learner fields are pseudonymised in results and accepted back as parameters", async () => {
    const alpha = await as(ALPHA);
    const plain = await as({ default: 'allow' });
    type Grades = { course: string; rows: { student: string; grade: number }[] };
    const seen = (await alpha.query['roster.grades']!({ course: 'C1' })) as Grades;
    expect(seen.rows.map((r) => r.grade)).toEqual([91, 78]);
    for (const r of seen.rows) expect(r.student).toMatch(/^pn1\./);
    expect(((await plain.query['roster.grades']!({ course: 'C1' })) as Grades).rows[0]!.student).toBe('ada');
    // The pseudonym as the declared parameter reaches the module as the id behind it.
    const one = (await alpha.query['roster.grades']!({ course: 'C1', student: seen.rows[1]!.student })) as Grades;
    expect(one.rows).toEqual([{ student: seen.rows[1]!.student, course: 'C1', grade: 78 }]);
    const tableView = (await alpha.view['roster.grade_table']!({ course: 'C1' })) as TableResult;
    expect(tableView.rows.map((r) => r[0])).toEqual(seen.rows.map((r) => r.student));
  });

  it('the same pseudonyms on another node and after a restart, which map them back without a shared table', async () => {
    const here = await as(ALPHA);
    const ada = ((await here.query['echo.course_report']!({ course: 'C1', learner: 'ada' })) as { learner: string }).learner;
    const start = () =>
      startTestNode({
        defaultIsolation: 'inline',
        capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
        ingest: { tokens: ['ingest-token-for-tests-0001'] },
        pseudonyms: { keys: NODE_KEYS },
        modules: [path.join(FIXTURE_MODULES, 'echo')],
      });
    for (let life = 0; life < 2; life++) {
      const other = await start();
      try {
        const there = await as(ALPHA, other);
        // Handed out here, accepted there (and after the restart): the module sees ada again.
        expect(await there.query['echo.course_report']!({ course: 'C1', learner: ada })).toEqual({ course: 'C1', learner: ada });
        expect(await there.query['echo.course_report']!({ course: 'C1', learner: 'ada' })).toEqual({
          course: 'C1',
          learner: ada,
        });
      } finally {
        await other.stop();
      }
    }
  });
});
