import { fork } from 'node:child_process';
import { postSafely } from './outbox.ts';
import { readLines, sandboxEnv, type LaunchOptions, type SandboxTransport, type TransportEvents } from './transport.ts';

/**
 * Runs a sandbox in its own child process: its own heap (`--max-old-space-size`), the permission
 * model's file and spawn restrictions, structured-clone IPC. Whatever the module does, including
 * a native crash, ends only this process.
 */
export function launchProcess(o: LaunchOptions, events: TransportEvents): SandboxTransport {
  const child = fork(o.runtimeBundle, [], {
    cwd: o.cwd,
    // Set explicitly: the node's own flags (loaders, inspector, test runners) must not leak in.
    execArgv: [
      ...o.permissionArgs,
      `--max-old-space-size=${o.maxHeapMb}`,
      '--enable-source-maps',
      '--disable-warning=ExperimentalWarning',
    ],
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: sandboxEnv(),
  });
  let exited = false;
  const exit = (reason: string) => {
    if (exited) return;
    exited = true;
    events.onExit(reason);
  };
  child.on('message', (m) => events.onBatch(m));
  child.on('exit', (code, signal) => exit(signal === null ? `exited with code ${code}` : `was killed by ${signal}`));
  child.on('error', (e) => {
    // 'error' also reports failed sends to a dying child; only a failed start ends it here.
    if (child.pid === undefined) exit(`could not start: ${e.message}`);
  });
  readLines(child.stdout, (l) => events.onOutput('stdout', l));
  readLines(child.stderr, (l) => events.onOutput('stderr', l));
  return {
    pid: child.pid,
    post: (batch) => {
      if (child.connected) postSafely(batch, (b) => child.send(b));
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
