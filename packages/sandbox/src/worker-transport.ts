import { Worker } from 'node:worker_threads';
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
  worker.on('message', (m) => events.onBatch(m));
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
    kill: () => {
      void worker.terminate();
    },
  };
}
