import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseNodeConfig, startNode, type NodeConfigInput } from '@insights/node';
import { InsightsError } from '@insights/sdk';
import { DevPrinter } from './dev-printer.ts';
import { hostPort, printReady } from './node.ts';

export interface DevOptions {
  grpc?: string;
  http?: string;
  dataDir?: string;
  nats?: string;
  isolation?: 'worker' | 'process';
}

/** Saves arrive as bursts of file events (editors write, rename, chmod): one reload per burst. */
const SETTLE_MS = 150;
const IGNORED = /(^|[\\/])(node_modules|\.data|\.git|dist)([\\/]|$)/;

/**
 * `insights dev <module>`: a node serving one module, reloaded when its files change. A change to
 * analytics or handler code swaps the module's sandbox in place (the node, its ports and its event
 * consumers stay); a change to the set of event handlers or jobs restarts the node so they are
 * wired (JetStream consumers are durable, so none is lost). Calls and errors print as they happen.
 */
export async function runDev(spec: string, opts: DevOptions): Promise<void> {
  const modulePath = path.resolve(spec);
  const info = await stat(modulePath).catch(() => undefined);
  if (info === undefined)
    throw new InsightsError('INVALID_ARGUMENT', `insights dev: no module at ${modulePath}`, { parameter: 'module' });
  const root = info.isDirectory() ? modulePath : path.dirname(modulePath);
  const base = path.basename(root).replace(/[^A-Za-z0-9_-]/g, '-');
  const printer = new DevPrinter();
  const loaded: string[] = [];
  const input: NodeConfigInput = {
    id: `dev-${base}`.slice(0, 64),
    modules: [modulePath],
    grpc: hostPort(opts.grpc ?? '0', 'grpc'),
    http: hostPort(opts.http ?? '0', 'http'),
    dataDir: path.resolve(opts.dataDir ?? path.join('.data', 'dev', base)),
    defaultIsolation: opts.isolation ?? 'worker', // sandboxed modules reload in place; inline ones cannot
    ...((opts.nats ?? process.env.NATS_URL) ? { nats: opts.nats ?? process.env.NATS_URL } : {}),
  };
  const start = (i: NodeConfigInput) =>
    startNode(parseNodeConfig(i, process.cwd()), {
      spanExporter: printer.exporter,
      logSink: (r) => {
        if (r.msg === 'module loaded' && typeof r.module === 'string') loaded.push(r.module);
        printer.log(r);
      },
    });

  let node = await start(input);
  // Restarts keep the addresses clients and the browser already use.
  const pinned: NodeConfigInput = {
    ...input,
    grpc: hostPort(node.grpcAddress, 'grpc'),
    http: hostPort(node.httpAddress, 'http'),
  };
  await printReady(node);
  printer.info(`watching ${root}; save a file to reload`);

  const wiring = (): string => {
    const name = loaded.at(-1);
    const host = name === undefined ? undefined : node.dispatcher.host(name);
    if (host === undefined) return '';
    return host.manifest.analytics
      .filter((a) => a.kind !== 'query' && a.kind !== 'view')
      .map((a) => `${a.kind}:${a.name}:${JSON.stringify(a.meta)}`)
      .sort()
      .join('\n');
  };

  const reload = async (): Promise<void> => {
    const name = loaded.at(-1);
    const before = wiring();
    try {
      if (name === undefined || node.dispatcher.host(name) === undefined) throw new Error('not loaded');
      await node.reload(name);
    } catch (e) {
      if (name !== undefined && node.dispatcher.host(name) !== undefined) {
        printer.log({ level: 'error', time: '', msg: `reload failed; the previous code keeps serving: ${(e as Error).message}` });
        return;
      }
      // The module had not loaded (a syntax error at start, say): start the node again with the new code.
    }
    if (name !== undefined && node.dispatcher.host(name) !== undefined && wiring() === before)
      return printer.info(`reloaded ${name}`);
    printer.info(`${name ?? 'module'}: event handlers or jobs changed; restarting the node to wire them`);
    await node.close();
    loaded.length = 0;
    node = await start(pinned);
    if (node.failedModules.length > 0) return; // the node logged why; the next save tries again
    printer.info(`reloaded ${loaded.at(-1) ?? 'module'} (node restarted)`);
  };

  let timer: NodeJS.Timeout | undefined;
  let chain = Promise.resolve();
  const watcher: FSWatcher = watch(root, { recursive: true }, (_event, file) => {
    if (file !== null && IGNORED.test(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      chain = chain.then(reload).catch((e: unknown) => printer.log({ level: 'error', time: '', msg: (e as Error).message }));
    }, SETTLE_MS);
  });

  const stop = () => {
    watcher.close();
    clearTimeout(timer);
    void chain
      .then(() => node.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
