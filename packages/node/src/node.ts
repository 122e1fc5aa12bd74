import path from 'node:path';
import { SERVICE_NAME, type WireNodeInfo } from '@insights/wire';
import {
  createLogger,
  Dispatcher,
  ReadOnlyDb,
  stderrJsonSink,
  UrlSigner,
  LearnerIdKey,
  type LogSink,
  type ModuleHost,
} from '@insights/runtime';
import { bundleOwnEntry, MODULE_LIMIT_DEFAULTS, startModuleHost } from '@insights/sandbox';
import { AGGREGATE_WORKER_ENTRY, createDbProvider, enableLinearRegExp, type DbProviderOptions } from '@insights/db';
import { checkStartable, type NodeConfig } from './config.ts';
import { startAdvertising } from './advertising.ts';
import { startNatsLink } from './nats-link.ts';
import { loadNodeIdentity } from './node-identity.ts';
import { capabilityDelegator } from './capability-delegation.ts';
import { startEventSystem, type EventSystem } from './events/event-system.ts';
import type { EventEnvelope } from '@insights/sdk';
import { startNestedCallClient } from './nested-calls.ts';
import { Authorizer, readTrustedKeys } from './authorizer.ts';
import { NestedCallRules } from './nested-call-rules.ts';
import { ReadGrants, RemoteReadGrants } from './read-grants.ts';
import { readThroughMesh } from './mesh-read-db.ts';
import { moduleDataRoute } from './module-data-route.ts';
import { MODULE_DATA_ROUTE } from './module-data-protocol.ts';
import { RevocationList } from './revocations.ts';
import { Pseudonyms } from './pseudonyms.ts';
import { registerAuditMetrics } from './audit-metrics.ts';
import { AuditTrail } from './audit-trail.ts';
import { describeNode, type FailedModule } from './describe.ts';
import { startGrpcServer } from './grpc-server.ts';
import { startHttpServer } from './http-server.ts';
import { context, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { LogLevel } from '@insights/runtime';
import type { Advertising } from './advertising.ts';
import { NodeMetrics } from './metrics.ts';
import { readiness, startHealthReporter, type ReadinessInputs } from './readiness.ts';
import { checkSandbox } from './sandbox-mode.ts';
import { grpcServerCredentials, readTlsMaterial } from './tls.ts';
import { startTracing } from './tracing.ts';
import { startSqlSources } from './sql-sources.ts';
import type { ProcessFaultCounts } from './process-faults.ts';

export const NODE_VERSION = '0.1.0';

export type NodeState = 'starting' | 'serving' | 'draining' | 'degraded';

export interface RunningNode {
  readonly id: string;
  readonly grpcAddress: string;
  readonly httpAddress: string;
  readonly dispatcher: Dispatcher;
  readonly events: EventSystem;
  /** Modules that failed to load, with the reason. */
  readonly failedModules: readonly FailedModule[];
  /** Changes the log level of the node and its inline modules now (what PUT /admin/log-level does). */
  setLogLevel(level: LogLevel): void;
  /** Loads a sandboxed module's code again without restarting the node (FAILED_PRECONDITION for inline). */
  reload(module: string): Promise<void>;
  /** Stops accepting calls, lets in-flight calls finish (up to the grace period), closes everything. */
  close(): Promise<void>;
}

export interface StartNodeOptions {
  /** Where structured logs go (default: JSON lines on stderr). */
  logSink?: LogSink;
  /** Trace spans go here (tests pass an InMemorySpanExporter); turns tracing on like `tracing.otlpUrl`. */
  spanExporter?: SpanExporter;
  /** The process's fault counts, for /metrics (the process entry installs the policy: process-faults.ts). */
  processFaults?: ProcessFaultCounts;
}

/** Starts an analytics node: loads its modules, then serves gRPC and HTTP. */
export async function startNode(config: NodeConfig, options: StartNodeOptions = {}): Promise<RunningNode> {
  checkStartable(config);
  // Module queries run on this thread: their regular expressions must run in linear time (packages/db/src/linear-regex.ts).
  enableLinearRegExp();
  // Tracing first: when it is on, every log record written inside a call carries its trace and span ids.
  const tracing = startTracing(config, { exporter: options.spanExporter });
  const baseSink = options.logSink ?? stderrJsonSink;
  const sink: LogSink =
    tracing === undefined
      ? baseSink
      : (r) => {
          const sc = trace.getSpanContext(context.active());
          baseSink(sc === undefined ? r : { ...r, trace_id: sc.traceId, span_id: sc.spanId });
        };
  const log = createLogger(sink, { node: config.id }, config.logLevel);
  const tlsMaterial = config.tls === undefined ? undefined : readTlsMaterial(config.tls);
  const identity = loadNodeIdentity(config, log);
  const dbOptions: DbProviderOptions =
    config.db.kind === 'embedded'
      ? {
          kind: 'embedded',
          dir: path.join(config.dataDir, 'db'),
          ...(config.db.syncIntervalMs === undefined ? {} : { syncIntervalMs: config.db.syncIntervalMs }),
          ...(config.db.cacheSizeKiB === undefined ? {} : { cacheSizeKiB: config.db.cacheSizeKiB }),
          // $group, $sort and the like run in a worker process, bundled beside the sandbox runtime on first use.
          aggregateWorker: () =>
            bundleOwnEntry(path.join(config.dataDir, 'sandbox'), AGGREGATE_WORKER_ENTRY, 'db-aggregate').then((b) => b.file),
        }
      : {
          kind: 'mongodb',
          url: config.db.url,
          ...(config.db.dbPrefix === undefined ? {} : { dbPrefix: config.db.dbPrefix }),
          ...(config.db.users === undefined && config.db.provision === undefined
            ? {}
            : { auth: { users: config.db.users, provision: config.db.provision } }),
        };
  // Before anything starts: with sandbox.require on and no bubblewrap, refuse here.
  const sandbox = await checkSandbox(config, log);
  const db = createDbProvider(dbOptions);
  const sql = startSqlSources(config);
  const signer = new UrlSigner(config.fileUrlSecret);
  const learnerIds = config.learnerIds.key === undefined ? undefined : new LearnerIdKey(config.learnerIds.key);
  let httpOrigin = 'http://127.0.0.1';
  let state: NodeState = 'starting';

  const hosts = new Map<string, ModuleHost>();
  const failed: FailedModule[] = [];
  const dispatcher = new Dispatcher(hosts, config.defaultTimeoutMs);
  // Late-bound: the event system needs the loaded hosts, and the hosts' ctx.emit needs it.
  // eslint-disable-next-line prefer-const -- read by closures created before it is assigned
  let events: EventSystem | undefined;
  const env = {
    emit: (e: EventEnvelope) => (events ? events.emit(e) : Promise.reject(new Error('events are not started yet'))),
    property: (e: EventEnvelope, name: string) =>
      events ? events.property(e, name) : Promise.reject(new Error('events are not started yet')),
    dataDir: config.dataDir,
    db,
    // Replicas share a MongoDB database: module files and memoized results go there, for all of them.
    sharedState: config.db.kind === 'mongodb',
    makeFileUrl: (module: string, name: string, ttl: number) => `${httpOrigin}${signer.signedPath(module, name, ttl)}`,
    mesh: dispatcher,
    log,
    sql,
    readDb: (reader: string, owner: string, call?: { deadline: number }) => readOtherModule(reader, owner, call?.deadline),
    learnerId: learnerIds === undefined ? undefined : (id: string) => learnerIds.of(id),
    kernelSandbox: sandbox.support,
  };
  /** Which modules each module may read (modules[].reads), by the names the modules loaded as. */
  const readGrants = new ReadGrants();
  /** Which modules on other nodes may read this node's modules (modules[].readBy), and their result limits. */
  const remoteReads = new RemoteReadGrants();
  const resultLimits = new Map<string, number>();
  const readOtherModule = async (reader: string, owner: string, deadline: number | undefined) => {
    const collections = readGrants.collections(reader, owner, hosts.get(reader)?.manifest.reads ?? {});
    if (hosts.has(owner)) return new ReadOnlyDb(await db.forModule(owner), reader, owner, collections);
    // On another node: through the mesh, on the reader's own authority; the owner's node decides too.
    return readThroughMesh({
      withMesh: (deadline, fn) => meshClient?.withMesh(deadline, fn),
      reader,
      owner,
      collections,
      capability: nestedCalls.moduleAuthority(reader)?.capability,
      timeoutMs: config.defaultTimeoutMs,
      deadline,
    });
  };

  for (const entry of config.modules) {
    const spec = typeof entry === 'string' ? entry : entry.path;
    const isolation = (typeof entry === 'string' ? undefined : entry.isolation) ?? config.defaultIsolation;
    const { limits, restart, nativeAddon } = typeof entry === 'string' ? {} : entry;
    try {
      const host = await startModuleHost({ spec, baseDir: config.baseDir, isolation, limits, restart, nativeAddon }, env);
      const name = host.manifest.name;
      if (hosts.has(name)) {
        await host.close();
        throw new Error(`a module named "${name}" is already loaded on this node`);
      }
      hosts.set(name, host);
      readGrants.allow(name, typeof entry === 'string' ? [] : entry.reads);
      remoteReads.allow(name, typeof entry === 'string' ? [] : entry.readBy);
      resultLimits.set(
        name,
        (typeof entry === 'string' ? undefined : entry.limits?.maxResultBytes) ?? MODULE_LIMIT_DEFAULTS.DEFAULT_MAX_RESULT_BYTES,
      );
      log.info('module loaded', { module: name, spec, isolation });
      if (isolation !== 'process')
        log.warn(`module runs in ${isolation} isolation, inside the node's own process: trusted code only`, { module: name });
    } catch (e) {
      const error = (e as Error).message;
      failed.push({ spec, name: path.basename(spec).replace(/\.[cm]?[jt]s$/, ''), error });
      log.error('module failed to load; the node starts without it', { spec, error });
    }
  }
  dispatcher.rebuild();
  dispatcher.setRoute(
    MODULE_DATA_ROUTE,
    moduleDataRoute({
      hosts,
      db,
      grants: remoteReads,
      maxResultBytes: (owner) => resultLimits.get(owner) ?? MODULE_LIMIT_DEFAULTS.DEFAULT_MAX_RESULT_BYTES,
    }),
  );

  const nodeInfo = (): WireNodeInfo => ({
    id: config.id,
    labels: config.labels,
    version: NODE_VERSION,
    grpcAddress: grpc.address,
    httpAddress: http.address,
    state,
    sandbox: sandbox.mode,
  });
  const describe = () => describeNode(nodeInfo(), hosts, failed);
  const natsLink = startNatsLink(config, log);
  const revocations = new RevocationList(natsLink, config.registry.replicas ?? 1, log);
  // Every call and nested call, recorded (who, what, arguments after locks, outcome).
  const audit = new AuditTrail(config, natsLink, log);
  dispatcher.setRecorder(audit);
  const trustedKeys = readTrustedKeys(config.capabilities.trustedKeys, config.baseDir);
  const authorizer = new Authorizer(
    dispatcher,
    trustedKeys,
    config.capabilities.required,
    log,
    revocations,
    new Map(
      Object.entries(config.pseudonyms.keys).map(([project, key]) => [project, new Pseudonyms(key, config.pseudonyms.fields)]),
    ),
    { meshId: config.identity.meshId, nodeId: config.id },
  );
  // Nested calls carry the authority of the call that caused them (or the module's own).
  const nestedCalls = new NestedCallRules(config.capabilities, authorizer, log);
  dispatcher.setGuard(nestedCalls);
  // Late-bound like `events`: metrics and readiness read them before they exist.
  // eslint-disable-next-line prefer-const
  let meshClient: ReturnType<typeof startNestedCallClient> | undefined;
  // eslint-disable-next-line prefer-const
  let advertising: Advertising | undefined;
  events = startEventSystem(config, natsLink, hosts, log, () => meshClient?.meshView(), tracing);
  const readinessInputs: ReadinessInputs = {
    state: () => state,
    natsConfigured: natsLink.configured,
    natsConnected: () => natsLink.isConnected(),
    advertised: () => advertising?.advertised ?? false,
    meshReady: () => meshClient?.meshReady() ?? false,
    eventsFlowing: () => events?.flowing() ?? false,
    hosts,
    failedModules: failed,
    sandbox: sandbox.mode,
  };
  const metrics = new NodeMetrics({
    nodeId: config.id,
    hosts,
    resolve: (kind, name) => {
      try {
        const a = dispatcher.analytic(kind, name);
        return `${a.module}.${a.analytic.name}`;
      } catch {
        return undefined;
      }
    },
    inFlight: () => dispatcher.inFlight,
    handlerStats: () => events?.handlerStats() ?? [],
    consumers: () => events?.consumerInfo() ?? Promise.resolve([]),
    natsConnected: () => (natsLink.configured ? natsLink.isConnected() : undefined),
    advertised: () => advertising?.advertised ?? false,
    meshNodes: () => meshClient?.meshNodes(),
    ready: () => readiness(readinessInputs).ready,
    ...(options.processFaults === undefined ? {} : { processFaults: options.processFaults }),
  });
  registerAuditMetrics(metrics.registry, () => audit.counts());
  const deps = {
    dispatcher,
    authorizer,
    describe,
    events,
    ingestTokens: config.ingest.tokens,
    maxRequestBytes: config.maxRequestBytes,
    limits: config.limits,
    argsLimits: { maxBytes: config.maxRequestBytes, maxDepth: config.limits.maxJsonDepth },
    metrics,
    tracing,
  };
  const grpc = await startGrpcServer(
    { ...deps, credentials: grpcServerCredentials(tlsMaterial), prove: (nonce) => identity.prove(nonce) },
    config.grpc.host,
    config.grpc.port,
  );
  const http = await startHttpServer(
    {
      ...deps,
      signer,
      readiness: () => readiness(readinessInputs),
      adminTokens: config.admin.tokens,
      metricsTokens: config.metrics.tokens,
      capabilitiesRequired: config.capabilities.required,
      setLogLevel: (level) => setLogLevel(level),
      tls: tlsMaterial,
    },
    config.http.host,
    config.http.port,
  );
  httpOrigin = `${tlsMaterial === undefined ? 'http' : 'https'}://${http.address}`;
  const setLogLevel = (level: LogLevel) => {
    const from = log.level;
    log.level = level;
    log.info('log level changed', { from, to: level });
  };

  const sweeper = setInterval(() => {
    for (const [module, host] of hosts)
      host.sweepFiles().then(
        (deleted) => deleted.length > 0 && log.info('expired files deleted', { module, files: deleted }),
        (e: unknown) => log.warn('file sweep failed', { module, error: (e as Error).message }),
      );
  }, config.sweepIntervalMs);
  sweeper.unref();

  state = 'serving';
  // A certified node expects certified peers; before node certificates are rolled out, peers are taken on trust.
  const peerTrust = identity.certificate === undefined ? [] : trustedKeys;
  advertising = startAdvertising(config, natsLink, describe, log, identity, {
    trustedKeys: peerTrust,
    onRefusal: (_key, _reason, refusal) => metrics.registryRefused(refusal),
  });
  const healthReporter = startHealthReporter(grpc.health, readinessInputs);
  meshClient = startNestedCallClient(
    config,
    dispatcher,
    log,
    peerTrust,
    capabilityDelegator(identity),
    tracing?.tracer,
    advertising,
  );
  log.info('node serving', { grpc: grpc.address, http: http.address, modules: [...hosts.keys()] });

  let closing: Promise<void> | undefined;
  return {
    id: config.id,
    grpcAddress: grpc.address,
    httpAddress: http.address,
    dispatcher,
    events,
    failedModules: failed,
    setLogLevel,
    reload: async (module) => {
      const host = hosts.get(module) as (ModuleHost & { reload?: () => Promise<void> }) | undefined;
      if (host?.reload === undefined) throw new Error(`no module "${module}" that can be reloaded (inline modules cannot)`);
      await host.reload();
      dispatcher.rebuild();
    },
    close: () =>
      (closing ??= (async () => {
        state = 'draining';
        clearInterval(sweeper);
        healthReporter.stop();
        // Leave the registry first, so clients stop sending new calls here while we drain.
        await advertising?.withdraw();
        grpc.health.setStatus('', 'NOT_SERVING');
        grpc.health.setStatus(SERVICE_NAME, 'NOT_SERVING');
        await dispatcher.drain(config.shutdownGraceMs);
        await Promise.all([grpc.close(1000), http.app.close()]);
        await events?.close();
        await Promise.all([...hosts.values()].map((h) => h.close()));
        await db.close();
        await sql?.close();
        revocations.close();
        // The records of the last calls reach the stream before NATS closes.
        await audit.close(config.shutdownGraceMs);
        await natsLink.close();
        await meshClient.close();
        advertising.close();
        await tracing?.shutdown();
        log.info('node stopped');
      })()),
  };
}
