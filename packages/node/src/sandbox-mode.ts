import type { Logger, SandboxMode } from '@insights/runtime';
import {
  kernelGaps,
  kernelGapWarning,
  probeKernelSandbox,
  requiredProtections,
  sandboxCpuProfile,
  SANDBOX_CPU_PROF_ENV,
  type KernelSupport,
} from '@insights/sandbox';
import type { NodeConfig } from './config.ts';

/** The node refuses to start: `sandbox.require` asks for a protection the kernel sandbox cannot give here. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
  readonly code = 'SANDBOX_UNAVAILABLE';
  constructor(
    readonly reason: string,
    /** What is missing: `kernel` or the protections sandbox.require asked for, or the `permission-model` a bench switch removes. */
    readonly missing: readonly string[] = ['kernel'],
  ) {
    super(
      missing[0] === 'permission-model'
        ? reason
        : missing.length === 1 && missing[0] === 'kernel'
          ? `sandbox.require is on, but process modules cannot run in the kernel sandbox: ${reason}`
          : `sandbox.require lists ${missing.join(', ')}, but the kernel sandbox cannot enforce it here: ${reason}`,
    );
  }
}

/** The node-wide sandbox, as Describe and /readyz report it. */
export interface NodeSandbox {
  readonly support: KernelSupport;
  readonly mode: Exclude<SandboxMode, 'none'>;
}

/**
 * Probes bubblewrap once at start: refuses to start if the config requires it (or one of its
 * protections) and it cannot be had; otherwise, when process modules are configured, warns once
 * per missing protection (one line each) or, without bubblewrap, once that they run under the
 * permission model alone.
 */
export async function checkSandbox(config: NodeConfig, log: Logger): Promise<NodeSandbox> {
  const support = await probeKernelSandbox(config.sandbox.bwrap);
  const required = requiredProtections(config.sandbox.require);
  // The bench's sandbox profiler takes away the permission model: never where the sandbox is
  // required (every production config), nor where it would leave no layer at all.
  if (sandboxCpuProfile() !== undefined && (required.kernel || !support.available))
    throw new SandboxUnavailableError(
      `${SANDBOX_CPU_PROF_ENV} (bench only) runs process sandboxes without Node's permission model, which ${
        required.kernel ? 'sandbox.require forbids' : 'would leave them no sandbox at all without bubblewrap'
      }: unset it`,
      ['permission-model'],
    );
  const processModules = config.modules.some(
    (m) => ((typeof m === 'string' ? undefined : m.isolation) ?? config.defaultIsolation) === 'process',
  );
  if (support.available) {
    const gaps = kernelGaps(support);
    const refused = gaps.filter((g) => g.protections.some((p) => required.protections.has(p)));
    if (refused.length > 0)
      throw new SandboxUnavailableError(
        refused.map((g) => g.why).join('; '),
        refused.flatMap((g) => g.protections.filter((p) => required.protections.has(p))),
      );
    if (processModules) for (const g of gaps) log.warn(kernelGapWarning(g), { protections: g.protections, reason: g.why });
    return { support, mode: 'kernel' };
  }
  if (required.kernel) throw new SandboxUnavailableError(support.reason);
  if (processModules)
    log.warn(
      `process modules run under Node's permission model only, without the kernel sandbox (${support.reason}); install bubblewrap, or set sandbox.require to refuse to start instead`,
    );
  return { support, mode: 'permission-model-only' };
}
