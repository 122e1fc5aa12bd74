/**
 * The command that starts one sandbox run under the kernel's limits, outside in:
 *   sh (opens the seccomp filter, joins the run's cgroup, then execs) → chrt (SCHED_BATCH, where
 *   installed) → prlimit (open files, file size) → bwrap (namespaces, mounts, seccomp) → node.
 * Joining before exec means no process of the sandbox ever runs outside its cgroup.
 */
import { bwrapArgs } from './bwrap.ts';
import { SandboxCgroup } from './cgroup.ts';
import { CGROUP_CONTROLLERS, type CgroupController } from './cgroup-layout.ts';
import type { KernelSupport } from './kernel-probe.ts';
import { nodeRuntimeFiles } from './node-files.ts';
import { noForkFilterFile, SECCOMP_FD } from './seccomp.ts';

const MIB = 1024 * 1024;
// $1: the seccomp filter file or '-'; then the cgroup.procs files to join, '--', the command.
const JOIN_CGROUP = `f=$1; shift; if [ "$f" != - ]; then exec ${SECCOMP_FD}<"$f" || exit 125; fi; while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"`;

/** The command to run instead of Node: Node's own arguments follow `args`. */
export interface KernelRun {
  readonly file: string;
  readonly args: string[];
  /** A better reason for an exit, when the kernel caused it (the memory limit). */
  explainExit(reason: string): Promise<string>;
  /** Removes the run's cgroup (after the process has exited). */
  cleanup(): Promise<void>;
}

/** The limits the kernel enforces (limits.ts's resolved module limits fit this shape). */
export interface KernelLimits {
  /** RLIMIT_NOFILE. */
  readonly maxOpenFiles: number;
  /** MiB: the largest file (RLIMIT_FSIZE); the folder total is watched by disk-quota.ts. */
  readonly diskQuotaMb: number;
  /** MiB of the private, memory-backed /tmp. */
  readonly tmpMb: number;
  /** cgroup memory.max (v2) / memory.limit_in_bytes (v1), MiB. */
  readonly maxMemoryMb: number;
  /** cgroup cpu.max, percent of one core. */
  readonly maxCpuPercent: number;
  /** cgroup pids.max: processes and threads. */
  readonly maxProcesses: number;
}

export interface KernelRunOptions {
  readonly support: Extract<KernelSupport, { available: true }>;
  /** Names the cgroup, for operators. */
  readonly label: string;
  readonly limits: KernelLimits;
  readonly readOnly: readonly string[];
  /** Symlinks recreated inside (bwrap.ts). */
  readonly links?: ReadonlyMap<string, string>;
  /** Folders inside `readOnly` ones to hide (bwrap.ts). */
  readonly hidden?: readonly string[];
  readonly writable: readonly string[];
  readonly overQuota: boolean;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /**
   * Let it start processes (the bundler runs esbuild's binary). Otherwise seccomp refuses them
   * (seccomp.ts) where the probe found bubblewrap applies the filter, whether or not a pids
   * cgroup is in force.
   */
  readonly allowProcesses?: boolean;
}

/** The limits a kernel sandbox runs under, as Describe reports them. */
export function kernelLimitsInForce(
  support: Extract<KernelSupport, { available: true }>,
  l: KernelLimits,
): Record<string, unknown> {
  return {
    network: 'none (loopback only)',
    user: support.userNamespace ? 'uid 65534 in its own user namespace' : 'no user namespace (capabilities dropped)',
    processes: support.seccomp ? 'refused (seccomp)' : `not refused: ${support.seccompMissing}`,
    scheduling:
      support.chrt === undefined ? 'not in force: chrt (util-linux) is not installed' : 'SCHED_BATCH (never preempts the node)',
    maxOpenFiles: l.maxOpenFiles,
    diskQuotaMb: l.diskQuotaMb,
    tmpMb: l.tmpMb,
    ...cgroupLimitsInForce(support, l),
  };
}

/**
 * The cgroup limits: `cgroups` names the hierarchies used per controller, and each limit is its
 * value where its controller is in force, else `not in force: <why>`.
 */
function cgroupLimitsInForce(support: Extract<KernelSupport, { available: true }>, l: KernelLimits): Record<string, unknown> {
  const root = support.cgroups;
  const place = (c: CgroupController) => root?.controllers[c];
  const limit = (c: CgroupController, value: number) =>
    place(c) !== undefined ? value : `not in force: ${root?.missing[c] ?? support.cgroupsMissing}`;
  const used = CGROUP_CONTROLLERS.filter((c) => place(c) !== undefined);
  const versions = [...new Set(used.map((c) => place(c)!.version))];
  return {
    cgroups:
      root === undefined
        ? `not in force: ${support.cgroupsMissing}`
        : versions.map((v) => `${v} (${used.filter((c) => place(c)!.version === v).join(', ')})`).join(', '),
    maxMemoryMb: limit('memory', l.maxMemoryMb),
    maxCpuPercent: limit('cpu', l.maxCpuPercent),
    maxProcesses: limit('pids', l.maxProcesses),
  };
}

export async function kernelRun(o: KernelRunOptions): Promise<KernelRun> {
  const node = await nodeRuntimeFiles();
  const { support, limits } = o;
  const cgroup =
    support.cgroups === undefined
      ? undefined
      : await SandboxCgroup.create(support.cgroups, o.label, {
          memoryBytes: limits.maxMemoryMb * MIB,
          cpuPercent: limits.maxCpuPercent,
          pids: limits.maxProcesses,
        });
  const seccomp = o.allowProcesses === true || !support.seccomp ? undefined : noForkFilterFile();
  const bwrap = bwrapArgs(
    {
      readOnly: [...node, ...o.readOnly],
      ...(o.links === undefined ? {} : { links: o.links }),
      ...(o.hidden === undefined ? {} : { hidden: o.hidden }),
      writable: o.writable,
      writableReadOnly: o.overQuota,
      tmpBytes: limits.tmpMb * MIB,
      cwd: o.cwd,
      env: o.env,
      userNamespace: support.userNamespace,
    },
    [node[0]!],
    seccomp === undefined ? undefined : SECCOMP_FD,
  );
  const fileBytes = limits.diskQuotaMb * MIB;
  const prlimit = [
    ...(support.chrt === undefined ? [] : [support.chrt, '--batch', '0']),
    support.prlimit,
    `--nofile=${limits.maxOpenFiles}:${limits.maxOpenFiles}`,
    `--fsize=${fileBytes}:${fileBytes}`,
    '--',
    support.bwrap,
    ...bwrap,
  ];
  const oomBefore = (await cgroup?.oomKills()) ?? 0;
  return {
    file: '/bin/sh',
    args: ['-c', JOIN_CGROUP, 'insights-sandbox', seccomp ?? '-', ...(cgroup?.procsFiles ?? []), '--', ...prlimit],
    explainExit: async (reason) =>
      cgroup !== undefined && (await cgroup.oomKills()) > oomBefore
        ? `was killed by the kernel: it used more than its memory limit of ${limits.maxMemoryMb} MiB (limits.maxMemoryMb)`
        : reason,
    cleanup: async () => cgroup?.remove(),
  };
}
