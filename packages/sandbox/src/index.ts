/**
 * @insights/sandbox: the kernel confinement of module processes (bubblewrap, rlimits, cgroups,
 * disk quota), Node's permission-model grants, and the safe bundler that turns a module into the
 * one file a sandbox loads. The module runtime (@insights/runtime) starts sandboxes with these.
 */
export { bwrapArgs, SANDBOX_UID } from './bwrap.ts';
export type { BwrapMounts } from './bwrap.ts';
export { probeKernelSandbox, DEFAULT_BWRAP } from './kernel-probe.ts';
export type { KernelSupport } from './kernel-probe.ts';
export { kernelRun, kernelLimitsInForce, CHANNEL_FD } from './kernel-command.ts';
export type { KernelRun, KernelRunOptions, KernelLimits } from './kernel-command.ts';
export { findCgroupRoot, SandboxCgroup } from './cgroup.ts';
export type { CgroupRoot, CgroupLimits, CgroupVersion } from './cgroup.ts';
export { folderBytes, foldersBytes, watchDiskQuota, DISK_QUOTA_CHECK_MS } from './disk-quota.ts';
export { nodeRuntimeFiles, systemLibraryDirs } from './node-files.ts';
export { permissionArgs } from './permissions.ts';
export type { PermissionArgs, SandboxGrants } from './permissions.ts';
export type { SandboxReport, SandboxMode } from './sandbox-report.ts';
export { bundle, bundleOwnEntry, bundleErrorText } from './bundler.ts';
export type { Bundle, BundleOptions } from './bundler.ts';
export { bundleInProcess, spawnBundler } from './bundle-process.ts';
export type { BundlerSpawn } from './bundle-process.ts';
export { BundleRuleError } from './bundle-errors.ts';
export type { BundleRule } from './bundle-errors.ts';
export { scrubStartEnvironment } from './start-environment.ts';
