import {
  applyEnvOverrides,
  installProcessFaultPolicy,
  loadNodeConfigFile,
  parseNodeConfig,
  startNode,
  type NodeConfigInput,
  type RunningNode,
} from '@insights/node';
import { natsWithCredentials } from '../nats-credentials.ts';
import { boundNodeHeapGrowth } from './node-heap-growth.ts';

export interface NodeCommandOptions {
  config?: string;
  module?: string[];
  label?: string[];
  id?: string;
  grpc?: string;
  http?: string;
  dataDir?: string;
  isolation?: 'process' | 'worker' | 'inline';
  nats?: string;
  ttl?: string;
}

/**
 * `insights node`: starts a node from a config file and/or flags. When it serves, it prints one
 * JSON line on stdout (`{"event":"ready",...}`) so scripts and tests can read the bound ports.
 */
export async function runNode(opts: NodeCommandOptions): Promise<void> {
  boundNodeHeapGrowth();
  const fromFile = opts.config === undefined ? undefined : loadNodeConfigFile(opts.config);
  const input: NodeConfigInput = {
    // INSIGHTS_* variables override the file; flags override both (deploy/CONFIG.md).
    ...applyEnvOverrides(fromFile === undefined ? {} : stripDerived(fromFile)),
    ...(opts.id === undefined ? {} : { id: opts.id }),
    ...(opts.label === undefined ? {} : { labels: opts.label }),
    ...(opts.grpc === undefined ? {} : { grpc: hostPort(opts.grpc, 'grpc') }),
    ...(opts.http === undefined ? {} : { http: hostPort(opts.http, 'http') }),
    ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
    ...(opts.nats === undefined ? {} : { nats: natsWithCredentials(opts.nats) }),
  };
  if (opts.ttl !== undefined) input.registry = { ...(fromFile?.registry ?? {}), ttlMs: Number(opts.ttl) };
  if (input.nats === undefined && process.env.NATS_URL) input.nats = natsWithCredentials(process.env.NATS_URL);
  if (opts.isolation !== undefined) input.defaultIsolation = opts.isolation;
  if (opts.module !== undefined && opts.module.length > 0) input.modules = [...(input.modules ?? []), ...opts.module];
  const config = parseNodeConfig(input, fromFile?.baseDir ?? process.cwd());
  // Before the node starts: one request, message or module that fails unhandled must not end it.
  const processFaults = installProcessFaultPolicy({
    nodeId: config.id,
    maxPerMinute: config.limits.maxProcessFaultsPerMinute,
    exit: (code) => process.exit(code),
  });
  const node = await startNode(config, { processFaults });
  // Signal handlers first: whoever reads the ready line may stop us at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`insights node: ${signal}: draining in-flight calls, then exiting\n`);
    node.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await printReady(node);
}

/** How long the ready line waits for the event streams (NATS may be down: direct calls are served meanwhile). */
const EVENTS_WAIT_MS = 15_000;

/**
 * The one JSON line scripts and tests read: bound addresses, the modules that failed, and whether
 * events flow. Printed once the event streams exist (whoever reads it may publish at once), or
 * after EVENTS_WAIT_MS with `events: "waiting for NATS"`.
 */
export async function printReady(node: RunningNode): Promise<void> {
  const flowing = await node.events.untilFlowing(EVENTS_WAIT_MS);
  if (!flowing)
    process.stderr.write(
      `insights node: events are not flowing after ${EVENTS_WAIT_MS / 1000} s (is NATS reachable?); serving direct calls, events start once NATS answers\n`,
    );
  process.stdout.write(
    `${JSON.stringify({
      event: 'ready',
      id: node.id,
      grpc: node.grpcAddress,
      http: node.httpAddress,
      modules: node.dispatcher.names('query').length + node.dispatcher.names('view').length,
      failedModules: node.failedModules.map((f) => ({ module: f.spec, error: f.error })),
      events: flowing ? 'flowing' : 'waiting for NATS',
    })}\n`,
  );
}

function stripDerived(c: ReturnType<typeof loadNodeConfigFile>): NodeConfigInput {
  const { baseDir: _b, ...rest } = c;
  return rest as NodeConfigInput;
}

export function hostPort(s: string, flag: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(s);
  if (m === null) throw new Error(`--${flag} must be [host:]port, got "${s}"`);
  return { host: m[1] === undefined || m[1] === '' ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}
