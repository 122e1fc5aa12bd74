import type { Logger, SandboxMode } from '@insights/runtime';
import { probeKernelSandbox, type KernelSupport } from '@insights/sandbox';
import type { NodeConfig } from './config.ts';

/** The node refuses to start: `sandbox.require` is on and bubblewrap cannot run here. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
  readonly code = 'SANDBOX_UNAVAILABLE';
  constructor(readonly reason: string) {
    super(`sandbox.require is on, but process modules cannot run in the kernel sandbox: ${reason}`);
  }
}

/** The node-wide sandbox, as Describe and /readyz report it. */
export interface NodeSandbox {
  readonly support: KernelSupport;
  readonly mode: Exclude<SandboxMode, 'none'>;
}

/**
 * Probes bubblewrap once at start: refuses to start if the config requires it and it cannot run,
 * warns once (in one sentence) if process modules will run under the permission model alone.
 */
export async function checkSandbox(config: NodeConfig, log: Logger): Promise<NodeSandbox> {
  const support = await probeKernelSandbox(config.sandbox.bwrap);
  if (support.available) {
    if (support.cgroups === undefined)
      log.warn('kernel sandbox without cgroups: module memory outside the V8 heap, CPU and process count are not limited', {
        reason: support.cgroupsMissing,
      });
    return { support, mode: 'kernel' };
  }
  if (config.sandbox.require) throw new SandboxUnavailableError(support.reason);
  const processModules = config.modules.some(
    (m) => ((typeof m === 'string' ? undefined : m.isolation) ?? config.defaultIsolation) === 'process',
  );
  if (processModules)
    log.warn(
      `process modules run under Node's permission model only, without the kernel sandbox (${support.reason}); install bubblewrap, or set sandbox.require to refuse to start instead`,
    );
  return { support, mode: 'permission-model-only' };
}
