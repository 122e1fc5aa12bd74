/**
 * What isolates a module, as Describe and /readyz report it:
 * - `kernel`: bubblewrap (namespaces, no network), rlimits and cgroups, with the permission model inside;
 * - `permission-model-only`: Node's permission model alone (bubblewrap missing or unable to run);
 * - `none`: worker and inline modules run in the node's process: trusted code only.
 */
export type SandboxMode = 'kernel' | 'permission-model-only' | 'none';

export interface SandboxReport {
  readonly mode: SandboxMode;
  /** The limits in force, by name (kernel ones only under `kernel`). */
  readonly limits: Readonly<Record<string, unknown>>;
  /** Why a weaker mode, for operators. */
  readonly note?: string;
}
