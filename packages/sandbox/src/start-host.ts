import { InlineHost, loadModuleDefinition } from '@insights/runtime/internal';
import type { Isolation, ModuleHost } from '@insights/runtime/internal';
import { GatedHost } from './gated-host.ts';
import { resolveLimits, resolveRestartPolicy, type ModuleLimits, type RestartPolicy } from './limits.ts';
import { rateLimitedLogger } from './rate-limited-logger.ts';
import { SandboxHost, type SandboxEnvironment } from './sandbox-host.ts';

export type { ModuleLimits, RestartPolicy } from './limits.ts';

/** What hosts need from the node: the modules' environment (its db provider also serves sandboxes' operations). */
export type HostEnvironment = SandboxEnvironment;

export interface HostSpec {
  /** Folder or file of the module. */
  readonly spec: string;
  /** Relative specs resolve against this folder. */
  readonly baseDir: string;
  readonly isolation: Isolation;
  readonly limits?: ModuleLimits | undefined;
  /** How a crashed sandbox is restarted (process and worker isolation). */
  readonly restart?: RestartPolicy | undefined;
  /**
   * The one native addon file (absolute path) a process or worker sandbox may load. Addons run
   * outside Node's permission model, so none is allowed unless the operator names it here.
   */
  readonly nativeAddon?: string | undefined;
}

/**
 * Starts a module under the isolation the operator chose. The node calls only this, so adding
 * an isolation level never touches the node.
 */
export async function startModuleHost(spec: HostSpec, env: HostEnvironment): Promise<ModuleHost> {
  const limits = resolveLimits(spec.limits);
  switch (spec.isolation) {
    case 'inline': {
      // Trusted code in the node's own thread: concurrency, result size and log rate still apply;
      // heap and a deadline against a synchronous loop cannot (it would block the node itself).
      const inlineEnv = { ...env, log: rateLimitedLogger(env.log, limits.maxLogRecordsPerSecond) };
      return new GatedHost(await InlineHost.start(await loadModuleDefinition(spec.spec, spec.baseDir), inlineEnv), limits);
    }
    case 'worker':
    case 'process':
      return SandboxHost.start(
        {
          isolation: spec.isolation,
          spec: spec.spec,
          baseDir: spec.baseDir,
          limits,
          restart: resolveRestartPolicy(spec.restart),
          nativeAddon: spec.nativeAddon,
        },
        env,
      );
  }
}
