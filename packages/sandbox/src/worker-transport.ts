import { Worker } from 'node:worker_threads';
import { BatchSource, ChannelInbox } from './channel-inbox.ts';
import { postSafely } from './outbox.ts';
import { readLines, sandboxEnv, type LaunchOptions, type SandboxTransport, type TransportEvents } from './transport.ts';

/**
 * Runs a sandbox in a worker thread: its own V8 isolate and heap limit (resourceLimits), and
 * `terminate()` stops even a synchronous loop. Cheaper calls than a process, but it shares the
 * node's process: no file restrictions, and a native crash takes the node down.
 */
export function launchWorker(o: LaunchOptions, events: TransportEvents): SandboxTransport {
  const worker = new Worker(o.runtimeBundle, {
    resourceLimits: { maxOldGenerationSizeMb: o.maxHeapMb },
    execArgv: [],
    argv: [],
    env: sandboxEnv(),
    stdout: true,
    stderr: true,
  });
  let lastError = '';
  let exited = false;
  // A worker runs trusted code in the node's own process: what waits for room is held here (a
  // worker's messages have no flow control to stop), in order, like a process sandbox's.
  const inbox = new ChannelInbox(
    (m, bytes) => events.onMessage(m, bytes),
    () => undefined,
    (e) => events.onBroken((e as Error).message),
  );
  worker.on('message', (m) => {
    if (Array.isArray(m)) inbox.push(new BatchSource(m));
    else events.onBroken('a batch that is not an array');
  });
  worker.on('error', (e: Error & { code?: string }) => {
    lastError = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `ran out of memory (${e.message})` : `threw ${e.message}`;
  });
  worker.on('exit', (code) => {
    if (exited) return;
    exited = true;
    events.onExit(lastError === '' ? `exited with code ${code}` : `${lastError}, exited with code ${code}`);
  });
  readLines(worker.stdout, (l) => events.onOutput('stdout', l));
  readLines(worker.stderr, (l) => events.onOutput('stderr', l));
  return {
    pid: undefined,
    post: (batch) => {
      if (!exited) postSafely(batch, (b) => worker.postMessage(b));
    },
    resume: () => inbox.resume(),
    kill: () => {
      void worker.terminate();
    },
  };
}
