import type { ModuleHost, SandboxReport } from '@insights/runtime';
import { SERVICE_NAME } from '@insights/wire';
import type { HealthImplementation } from 'grpc-health-check';
import type { FailedModule } from './describe.ts';

export interface ReadinessInputs {
  state(): string;
  readonly natsConfigured: boolean;
  natsConnected(): boolean;
  advertised(): boolean;
  /** The node's registry watch has read its own entry back: `ctx.mesh` can read the rest when a call needs it. */
  meshReady(): boolean;
  /** The event streams exist and every handler reads (published events are stored and handled). */
  eventsFlowing(): boolean;
  readonly hosts: ReadonlyMap<string, ModuleHost>;
  readonly failedModules: readonly FailedModule[];
  /** The node-wide sandbox mode: `kernel` or `permission-model-only`. */
  readonly sandbox: string;
}

export interface Readiness {
  readonly ready: boolean;
  /** Each check by name: true, or why it fails. */
  readonly checks: Record<string, true | string>;
  /** What isolates modules: the node's mode, and per module its mode and the limits in force. */
  readonly sandbox: { readonly mode: string; readonly modules: Record<string, SandboxReport> };
}

/**
 * Ready = serving, every configured module loaded and not failed, and (with NATS) connected, in
 * the registry, reading it (its own entry read back: the node follows the rest of the mesh only
 * when nested calls or hard-realtime waits need it, and reads it then), and with its event
 * streams and handler consumers set up. A node that is not ready still answers direct calls;
 * readiness tells a load balancer or a rolling update to wait.
 */
export function readiness(i: ReadinessInputs): Readiness {
  const checks: Record<string, true | string> = {};
  checks.serving = i.state() === 'serving' || `node is ${i.state()}`;
  const failed = [
    ...i.failedModules.map((f) => f.name),
    ...[...i.hosts].filter(([, h]) => h.status().state === 'failed').map(([n]) => n),
  ];
  checks.modules = failed.length === 0 || `not loaded: ${failed.join(', ')}`;
  if (i.natsConfigured) {
    // One check for NATS being usable: connected, and the event streams and handler consumers in place.
    checks.nats = !i.natsConnected()
      ? 'not connected to NATS'
      : i.eventsFlowing() || 'connected to NATS; event streams and handler consumers are not set up yet';
    checks.registry = i.advertised() || 'not in the registry yet';
    checks.mesh = i.meshReady() || 'has not read its own entry back from the registry yet: nested calls cannot reach other nodes';
  }
  const modules: Record<string, SandboxReport> = {};
  for (const [name, host] of i.hosts) modules[name] = host.status().sandbox ?? { mode: 'none', limits: {} };
  return { ready: Object.values(checks).every((c) => c === true), checks, sandbox: { mode: i.sandbox, modules } };
}

/** Module services are named `insights.module.<name>` in grpc.health.v1. */
export const moduleHealthService = (module: string): string => `insights.module.${module}`;

/**
 * Keeps grpc.health.v1 current: `` (the server) is SERVING while the process serves, the Insights
 * service follows readiness, and each module has its own service, SERVING while it is ready.
 */
export function startHealthReporter(health: HealthImplementation, inputs: ReadinessInputs, intervalMs = 1000): { stop(): void } {
  const update = () => {
    if (inputs.state() === 'draining') return;
    health.setStatus(SERVICE_NAME, readiness(inputs).ready ? 'SERVING' : 'NOT_SERVING');
    for (const [name, host] of inputs.hosts)
      health.setStatus(moduleHealthService(name), host.status().state === 'ready' ? 'SERVING' : 'NOT_SERVING');
    for (const f of inputs.failedModules) health.setStatus(moduleHealthService(f.name), 'NOT_SERVING');
  };
  update();
  const timer = setInterval(update, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
