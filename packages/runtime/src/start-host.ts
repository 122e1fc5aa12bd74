import { InlineHost } from './inline-host.ts';
import type { Isolation, ModuleHost } from './host.ts';
import { loadModuleDefinition } from './loader.ts';
import type { RuntimeEnvironment } from './module-runtime.ts';

/** Per-module limits an operator sets in the node config. */
export interface ModuleLimits {
  /** V8 old-space limit of the sandbox, MiB (process and worker isolation). */
  readonly maxHeapMb?: number;
  /** Calls running at once; more wait in a bounded queue. */
  readonly maxConcurrentCalls?: number;
  /** Calls waiting for a slot before RESOURCE_EXHAUSTED. */
  readonly maxQueuedCalls?: number;
  /** Largest result a call may return, bytes. */
  readonly maxResultBytes?: number;
  /** Log records per second before the module's log is throttled. */
  readonly maxLogRecordsPerSecond?: number;
}

export interface HostSpec {
  /** Folder or file of the module. */
  readonly spec: string;
  /** Relative specs resolve against this folder. */
  readonly baseDir: string;
  readonly isolation: Isolation;
  readonly limits?: ModuleLimits;
}

/**
 * Starts a module under the isolation the operator chose. The node calls only this, so adding
 * an isolation level never touches the node.
 */
export async function startModuleHost(spec: HostSpec, env: RuntimeEnvironment): Promise<ModuleHost> {
  switch (spec.isolation) {
    case 'inline':
    case 'worker':
    case 'process':
      // TODO(sandbox issue): worker and process isolation; until then every module runs inline.
      return InlineHost.start(await loadModuleDefinition(spec.spec, spec.baseDir), env);
  }
}
