import path from 'node:path';

/**
 * Bench-only: `INSIGHTS_BENCH_SANDBOX_CPU_PROF=<absolute folder>` in the node's environment runs
 * every process sandbox under `--cpu-prof` writing into that folder (bound writable under
 * bubblewrap). Node 20 writes no profile under its permission model (whatever it grants), so a
 * profiled sandbox runs without it: bubblewrap, rlimits and the cgroup stay, and the permission
 * model's checks are on file and process calls, not on the call path being profiled. The
 * sandbox's own environment stays empty: the flags go on its command line. Never set in a
 * deployment; unset (the default) changes nothing.
 */
export const SANDBOX_CPU_PROF_ENV = 'INSIGHTS_BENCH_SANDBOX_CPU_PROF';

export interface SandboxCpuProfile {
  /** The folder the profiles go to: one more writable grant. */
  readonly dir: string;
  /** Node flags for the sandbox's command line, instead of the permission model's. */
  readonly nodeArgs: readonly string[];
}

export function sandboxCpuProfile(env: NodeJS.ProcessEnv = process.env): SandboxCpuProfile | undefined {
  const dir = env[SANDBOX_CPU_PROF_ENV];
  if (dir === undefined || dir === '') return undefined;
  if (!path.isAbsolute(dir)) throw new Error(`${SANDBOX_CPU_PROF_ENV} must be an absolute folder, got ${dir}`);
  return { dir, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] };
}
