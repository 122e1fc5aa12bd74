import { describe, expect, it } from 'vitest';
import { kernelGaps, kernelGapWarning, requiredProtections } from './kernel-gaps.ts';
import type { KernelSupport } from './kernel-probe.ts';

const V1 = (dir: string) => ({ version: 'v1' as const, dir });
const FULL: Extract<KernelSupport, { available: true }> = {
  available: true,
  bwrap: '/usr/bin/bwrap',
  prlimit: '/usr/bin/prlimit',
  userNamespace: true,
  cgroups: { controllers: { memory: V1('/m'), cpu: V1('/c'), pids: V1('/p') }, missing: {} },
  cgroupsMissing: '',
  seccomp: true,
  seccompMissing: '',
};

describe('kernel gaps', () => {
  it('kernel gaps - none where every protection holds', () => {
    expect(kernelGaps(FULL)).toEqual([]);
  });

  it('kernel gaps - the seccomp filter missing: one line naming what is not refused, why, what to do and how to refuse to start', () => {
    const gaps = kernelGaps({
      ...FULL,
      seccomp: false,
      seccompMissing: 'bubblewrap did not run with --seccomp: bwrap: Unknown option',
    });
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.protections).toEqual(['seccomp']);
    const line = kernelGapWarning(gaps[0]!);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^kernel sandbox: new processes are not refused by the kernel/);
    expect(line).toContain('the pids cgroup still caps them at limits.maxProcesses');
    expect(line).toContain('because bubblewrap did not run with --seccomp: bwrap: Unknown option');
    expect(line).toContain("list 'seccomp' in sandbox.require");
  });

  it('kernel gaps - cgroup controllers missing for one reason share a line; another reason gets its own', () => {
    const gaps = kernelGaps({
      ...FULL,
      cgroups: { controllers: { pids: V1('/p') }, missing: { memory: 'no memory here', cpu: 'no cpu here' } },
    });
    expect(gaps.map((g) => g.protections)).toEqual([['cgroup-memory'], ['cgroup-cpu']]);
    expect(kernelGapWarning(gaps[0]!)).toMatch(
      /no memory cgroup: module memory outside the V8 heap .*limits\.maxMemoryMb.* not limited, because no memory here/,
    );
    const none = kernelGaps({
      ...FULL,
      seccomp: false,
      seccompMissing: 'old',
      cgroups: undefined,
      cgroupsMissing: 'not delegated',
    });
    expect(none.map((g) => g.protections)).toEqual([['seccomp'], ['cgroup-memory', 'cgroup-cpu', 'cgroup-pids']]);
    expect(kernelGapWarning(none[0]!)).toContain('no pids cgroup caps them either');
    expect(kernelGapWarning(none[1]!)).toMatch(
      /^kernel sandbox: no memory, cpu, pids cgroup: .*because not delegated; to enforce it, run the node in a cgroup v2 it may delegate/,
    );
    expect(kernelGapWarning(none[1]!)).toContain("list 'cgroup-memory', 'cgroup-cpu', 'cgroup-pids' in sandbox.require");
  });

  it('kernel gaps - sandbox.require: true is bubblewrap alone; a list adds protections, cgroups meaning all three', () => {
    expect(requiredProtections(false)).toEqual({ kernel: false, protections: new Set() });
    expect(requiredProtections(true)).toEqual({ kernel: true, protections: new Set() });
    expect(requiredProtections(['seccomp', 'cgroups'])).toEqual({
      kernel: true,
      protections: new Set(['seccomp', 'cgroup-memory', 'cgroup-cpu', 'cgroup-pids']),
    });
    expect(requiredProtections(['cgroup-memory'])).toEqual({ kernel: true, protections: new Set(['cgroup-memory']) });
  });
});
