import { describe, expect, it } from 'vitest';
import { SANDBOX_CPU_PROF_ENV, sandboxCpuProfile } from './cpu-profile-option.ts';

describe('sandboxCpuProfile', () => {
  it('is off unless the bench sets an absolute folder', () => {
    expect(sandboxCpuProfile({})).toBeUndefined();
    expect(sandboxCpuProfile({ [SANDBOX_CPU_PROF_ENV]: '' })).toBeUndefined();
    expect(() => sandboxCpuProfile({ [SANDBOX_CPU_PROF_ENV]: 'prof' })).toThrow(/absolute folder/);
    expect(sandboxCpuProfile({ [SANDBOX_CPU_PROF_ENV]: '/tmp/p' })).toEqual({
      dir: '/tmp/p',
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir=/tmp/p'],
    });
  });
});
