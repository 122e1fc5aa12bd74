/**
 * The kernel sandbox's protections the probe found missing on this machine (the no-fork seccomp
 * filter, each cgroup controller): what each leaves unenforced, why, and what the operator can
 * do. The node warns once at start per gap, and `sandbox.require` can refuse to start instead.
 */
import { CGROUP_CONTROLLERS, type CgroupController } from './cgroup-layout.ts';
import type { KernelSupport } from './kernel-probe.ts';

/** A protection a kernel sandbox has where the machine allows it. */
export type KernelProtection = 'seccomp' | `cgroup-${CgroupController}`;

/**
 * What `sandbox.require` may list: `kernel` (bubblewrap runs at all), a protection, or `cgroups`
 * (every cgroup controller). Any entry implies `kernel`.
 */
export const KERNEL_REQUIREMENTS = ['kernel', 'seccomp', 'cgroups', 'cgroup-memory', 'cgroup-cpu', 'cgroup-pids'] as const;
export type KernelRequirement = (typeof KERNEL_REQUIREMENTS)[number];

/** Missing protections that share a reason: one warning line. */
export interface KernelGap {
  readonly protections: readonly KernelProtection[];
  /** What the sandboxes run without, in the operator's terms (the limits it names). */
  readonly notEnforced: string;
  readonly why: string;
  /** What the operator can do to get it. */
  readonly remedy: string;
}

type Available = Extract<KernelSupport, { available: true }>;

const UNLIMITED: Record<CgroupController, string> = {
  memory: 'memory outside the V8 heap (Buffers, WebAssembly; limits.maxMemoryMb)',
  cpu: 'CPU time (limits.maxCpuPercent)',
  pids: 'processes and threads (limits.maxProcesses)',
};

/** The protections a `sandbox.require` setting asks for, and whether it asks for bubblewrap at all. */
export function requiredProtections(setting: boolean | readonly KernelRequirement[]): {
  readonly kernel: boolean;
  readonly protections: ReadonlySet<KernelProtection>;
} {
  const list: readonly KernelRequirement[] = setting === true ? ['kernel'] : setting === false ? [] : setting;
  const protections = new Set<KernelProtection>();
  for (const r of list) {
    if (r === 'kernel') continue;
    if (r !== 'cgroups') protections.add(r);
    else for (const c of CGROUP_CONTROLLERS) protections.add(`cgroup-${c}`);
  }
  return { kernel: list.length > 0, protections };
}

/** Every protection missing under `support`, grouped by reason: the seccomp filter first, then the cgroup controllers. */
export function kernelGaps(support: Available): KernelGap[] {
  const gaps: KernelGap[] = [];
  const pids = support.cgroups?.controllers.pids !== undefined;
  if (!support.seccomp)
    gaps.push({
      protections: ['seccomp'],
      notEnforced: `new processes are not refused by the kernel (the no-fork seccomp filter is off; ${
        pids ? 'the pids cgroup still caps them at limits.maxProcesses' : 'no pids cgroup caps them either'
      }; Node's permission model still refuses child_process)`,
      why: support.seccompMissing,
      remedy: 'run on x86-64 or arm64 with a bubblewrap that takes --seccomp and a kernel with seccomp filtering',
    });
  const byReason = new Map<string, CgroupController[]>();
  for (const c of CGROUP_CONTROLLERS) {
    if (support.cgroups?.controllers[c] !== undefined) continue;
    const why = support.cgroups?.missing[c] ?? support.cgroupsMissing;
    byReason.set(why, [...(byReason.get(why) ?? []), c]);
  }
  for (const [why, controllers] of byReason)
    gaps.push({
      protections: controllers.map((c) => `cgroup-${c}` as const),
      notEnforced: `no ${controllers.join(', ')} cgroup: module ${controllers.map((c) => UNLIMITED[c]).join(', ')} not limited`,
      why,
      remedy: `run the node in a cgroup v2 it may delegate (systemd Delegate=memory cpu pids, as deploy/systemd does) or with write access to the cgroup v1 ${controllers.join(', ')} hierarchies`,
    });
  return gaps;
}

/** The one warning line for a gap: what is not enforced, why, what to do, and how to refuse instead. */
export function kernelGapWarning(g: KernelGap): string {
  const names = g.protections.map((p) => `'${p}'`).join(', ');
  return `kernel sandbox: ${g.notEnforced}, because ${g.why}; to enforce it, ${g.remedy}; to refuse to start without it, list ${names} in sandbox.require`;
}
