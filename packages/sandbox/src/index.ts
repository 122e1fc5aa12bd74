/**
 * @insights/sandbox: where a module runs. `startModuleHost` starts it inline (limits only), in a
 * worker or in a process sandbox: the launcher, supervisor and channel to the sandbox, the
 * child's entry point (which runs @insights/runtime's ModuleRuntime), the kernel confinement
 * (bubblewrap, rlimits, cgroups, disk quota, seccomp), Node's permission-model grants, and the
 * safe bundler that turns a module into the one file a sandbox loads.
 */
export { startModuleHost } from './start-host.ts';
export type { HostSpec, HostEnvironment, ModuleLimits, RestartPolicy } from './start-host.ts';
export { MODULE_LIMIT_DEFAULTS } from './limits.ts';
export { SandboxHost } from './sandbox-host.ts';
export { bwrapArgs, SANDBOX_UID } from './bwrap.ts';
export type { BwrapMounts } from './bwrap.ts';
export { probeKernelSandbox, DEFAULT_BWRAP } from './kernel-probe.ts';
export type { KernelSupport } from './kernel-probe.ts';
export { kernelGaps, kernelGapWarning, requiredProtections, KERNEL_REQUIREMENTS } from './kernel-gaps.ts';
export { sandboxCpuProfile, SANDBOX_CPU_PROF_ENV } from './cpu-profile-option.ts';
export type { KernelGap, KernelProtection, KernelRequirement } from './kernel-gaps.ts';
export { kernelRun, kernelLimitsInForce } from './kernel-command.ts';
export { CHANNEL_FD } from './frame-channel.ts';
export { MAX_MESSAGE_BYTES, REQUEST_BYTES_IN_FLIGHT, maxFrameBytes } from './channel-limits.ts';
export type { KernelRun, KernelRunOptions, KernelLimits } from './kernel-command.ts';
export { SandboxCgroup } from './cgroup.ts';
export type { CgroupLimits } from './cgroup.ts';
export { findCgroupRoot, CGROUP_CONTROLLERS } from './cgroup-layout.ts';
export type { CgroupRoot, CgroupPlace, CgroupController, CgroupVersion } from './cgroup-layout.ts';
export { folderBytes, foldersBytes, watchDiskQuota, DISK_QUOTA_CHECK_MS } from './disk-quota.ts';
export { nodeRuntimeFiles, systemLibraryDirs } from './node-files.ts';
export { permissionArgs } from './permissions.ts';
export type { PermissionArgs, SandboxGrants } from './permissions.ts';
export { bundle, bundleErrorText } from './bundler.ts';
export { bundleOwnEntry } from './runtime-bundles.ts';
export type { Bundle, BundleOptions } from './bundler.ts';
export { bundleInProcess, spawnBundler } from './bundle-process.ts';
export type { BundlerSpawn } from './bundle-process.ts';
export { BundleRuleError } from './bundle-errors.ts';
export type { BundleRule } from './bundle-errors.ts';
export { scrubStartEnvironment } from './start-environment.ts';
