import type { ModuleHost } from '@insights/runtime';
import { kindToWire, type WireDescribeResponse, type WireModuleInfo, type WireNodeInfo } from '@insights/wire';

/** A module that failed to load: listed in Describe with the reason, so operators see why. */
export interface FailedModule {
  readonly spec: string;
  readonly name: string;
  readonly error: string;
}

export function describeNode(
  node: WireNodeInfo,
  hosts: ReadonlyMap<string, ModuleHost>,
  failed: readonly FailedModule[],
): WireDescribeResponse {
  const modules: WireModuleInfo[] = [];
  for (const [name, host] of hosts) {
    const s = host.status();
    modules.push({
      name,
      version: host.manifest.version,
      description: host.manifest.description,
      state: s.state,
      lastError: s.lastError,
      isolation: host.isolation,
      trusted: host.isolation !== 'process',
      sandbox: s.sandbox?.mode ?? 'none',
      sandboxLimitsJson: JSON.stringify(s.sandbox?.limits ?? {}),
      stats: { restarts: s.restarts, memoryBytes: s.memoryBytes, inFlight: s.inFlight, calls: s.calls, errors: s.errors },
      analytics: host.manifest.analytics.map((a) => ({
        kind: kindToWire(a.kind),
        module: name,
        name: a.name,
        aliases: [...a.aliases],
        description: a.description,
        paramsSchemaJson: JSON.stringify(a.paramsSchema),
        idempotent: a.idempotent,
        metaJson: JSON.stringify(a.meta),
      })),
    });
  }
  for (const f of failed)
    modules.push({
      name: f.name,
      version: '',
      description: '',
      state: 'failed',
      lastError: f.error,
      isolation: '',
      trusted: false,
      sandbox: '',
      sandboxLimitsJson: '',
      stats: { restarts: 0, memoryBytes: 0, inFlight: 0, calls: 0, errors: 0 },
      analytics: [],
    });
  return { node, modules };
}
