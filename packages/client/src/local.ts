import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isModuleDefinition, type ModuleDefinition, type UntypedMesh } from '@insights/sdk';
import {
  createLogger,
  DirectDelivery,
  Dispatcher,
  InlineHost,
  LearnerIdKey,
  loadModuleDefinition,
  type LogSink,
  type ModuleHost,
} from '@insights/runtime';
import { createDbProvider } from '@insights/db';
import { encodeResult } from '@insights/wire';
import { DEFAULT_CALL_TIMEOUT_MS, makeMesh, type Mesh } from './mesh.ts';
import { policyAuthority } from './policy-authority.ts';
import { Restriction } from './restriction.ts';
import type { MeshDescription } from './router.ts';

export interface LocalOptions {
  /** Module definitions, or paths of module folders/files to load. */
  modules: readonly (ModuleDefinition | string)[];
  /** Where databases and files go; default: a temporary folder removed on close. */
  dataDir?: string;
  defaultTimeoutMs?: number;
  /** Module log records (default: dropped, so scripts stay quiet). */
  logSink?: LogSink;
  /** Secret of keyed learner ids (`ctx.learnerId`, e.g. edX-to-xAPI actors); without it they fail FAILED_PRECONDITION. */
  learnerIdKey?: string;
}

/**
 * The same proxy as `connect`, with the modules running in this process on embedded resources:
 * offline research and module tests with no server at all.
 */
export async function local<M = UntypedMesh>(options: LocalOptions): Promise<Mesh<M>> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'insights-local-')));
  const db = createDbProvider({ kind: 'embedded', dir: path.join(dataDir, 'db') });
  const hosts = new Map<string, ModuleHost>();
  const dispatcher = new Dispatcher(hosts, options.defaultTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
  const events = new DirectDelivery(hosts);
  const learnerIds = options.learnerIdKey === undefined ? undefined : new LearnerIdKey(options.learnerIdKey);
  const env = {
    emit: events.emit,
    property: events.envelopeProperty,
    dataDir,
    db,
    // No HTTP server in local mode: URLs point at the file on disk.
    makeFileUrl: (module: string, name: string) => `file://${path.join(dataDir, 'modules', module, 'files', name)}`,
    mesh: dispatcher,
    learnerId: learnerIds === undefined ? undefined : (id: string) => learnerIds.of(id),
    log: createLogger(options.logSink ?? (() => {}), { node: 'local' }),
  };
  for (const m of options.modules) {
    const def = isModuleDefinition(m) ? m : await loadModuleDefinition(m);
    if (hosts.has(def.name)) throw new Error(`local: two modules are named "${def.name}"`);
    hosts.set(def.name, await InlineHost.start(def, env));
  }
  dispatcher.rebuild();

  const snapshot = (): MeshDescription => ({
    nodes: [
      {
        id: 'local',
        address: 'in-process',
        labels: ['local'],
        state: 'serving',
        modules: [...hosts].map(([name, h]) => ({
          name,
          version: h.manifest.version,
          state: 'ready',
          lastError: '',
          eventHandlers: h.manifest.analytics.filter((a) => a.kind === 'event-handler').map((a) => a.name),
        })),
      },
    ],
    analytics: [...hosts].flatMap(([module, h]) =>
      h.manifest.analytics
        .filter((a) => a.kind === 'query' || a.kind === 'view')
        .map((a) => ({
          kind: a.kind as 'query' | 'view',
          module,
          name: a.name,
          aliases: a.aliases,
          description: a.description,
          params: a.paramsSchema,
          idempotent: a.idempotent,
          nodes: ['local'],
        })),
    ),
  });

  return makeMesh<M>(
    {
      enforcesCapabilities: false,
      names: (kind) => dispatcher.names(kind),
      invoke: async (kind, name, args, opts) => {
        // A restricted proxy's policy goes with the call, so the modules' nested calls are checked too.
        const authority = policyAuthority(opts.layers);
        const { deadline, signal, onProgress } = opts;
        if (opts.raw === true)
          return encodeResult(await dispatcher.call({ kind, name, args, deadline, signal, onProgress, authority }));
        if (authority === undefined) return dispatcher.invoke(kind, name, args, opts);
        const outcome = await dispatcher.call({ kind, name, args, deadline, signal, onProgress, authority });
        return outcome.type === 'json' ? outcome.value : outcome;
      },
      snapshot,
      events,
      refresh: async () => {},
      close: async () => {
        await Promise.all([...hosts.values()].map((h) => h.close()));
        await db.close();
        if (ownDir) await rm(dataDir, { recursive: true, force: true });
      },
    },
    options.defaultTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    Restriction.none(),
  );
}
