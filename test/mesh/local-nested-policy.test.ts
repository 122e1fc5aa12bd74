import { local, type Mesh } from '@insights/client';
import type { Policy } from '@insights/policy';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_MODULES } from '../support/tmp.ts';

/**
 * Issue 14 in local mode: no node checks there, so a restricted proxy's policy goes with each call
 * and the modules' nested calls are checked against it, as a node checks a caller's capability.
 */
describe('local mode - a restricted proxy holds through nested calls', () => {
  let mesh: Mesh;
  beforeAll(async () => {
    mesh = await local({ modules: [path.join(SHIPPED_MODULES, 'examples'), path.join(SHIPPED_MODULES, 'testmodule')] });
  }, 60_000);
  afterAll(() => mesh?.close());

  it('a view cannot read what the policy denies (plot_grades -> get_grades), and djt_check_three_name cannot reach djt_three_name', async () => {
    const denyGrades: Policy = { default: 'allow', rules: [{ match: 'examples.get_grades', effect: 'deny' }] };
    expect(await mesh.view['examples.plot_grades']!({ course: 'C1' })).toMatchObject({ type: 'html' });
    await expect(mesh.restrict(denyGrades).view['examples.plot_grades']!({ course: 'C1' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('examples.get_grades'),
    });
    expect(await mesh.query.djt_check_three_name!()).toBe('Works');
    const denyThree: Policy = { default: 'allow', rules: [{ match: 'djt_three_name', effect: 'deny' }] };
    await expect(mesh.restrict(denyThree).query.djt_check_three_name!()).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it("a course lock holds inside the view: no other course's histogram", async () => {
    const prof = mesh.restrict(
      { default: 'allow', rules: [{ match: 'examples.get_grades', lock: { course: 'course' } }] },
      { course: 'C1' },
    );
    expect(await prof.view['examples.plot_grades']!({ course: 'C1' })).toMatchObject({ type: 'html' });
    await expect(prof.view['examples.plot_grades']!({ course: 'C2' })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      parameter: 'course',
    });
  });

  it('a pseudonymising policy is refused, not ignored: local mode holds no pseudonym key, so it would show identities', async () => {
    const researcher = mesh.restrict({ default: 'allow', pseudonymise: { project: 'study-1' } });
    await expect(researcher.query['examples.get_grades']!({ course: 'C1' })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      parameter: 'pseudonymise',
      message: expect.stringContaining('study-1'),
    });
  });
});
