import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { FrameReader, writeFrames } from './frame-channel.ts';
import { postSafely } from './outbox.ts';
import { readLines, sandboxEnv, type LaunchOptions, type SandboxTransport, type TransportEvents } from './transport.ts';

/** How a kernel sandbox wraps Node: the command to run instead of Node itself (see kernel-command.ts). */
export interface ProcessWrapper {
  readonly file: string;
  /** Its arguments; Node's own (flags, then the runtime bundle) follow. */
  readonly args: readonly string[];
  explainExit(reason: string): Promise<string>;
  cleanup(): Promise<void>;
}

/**
 * Runs a sandbox in its own child process: its own heap (`--max-old-space-size`), the permission
 * model's file and spawn restrictions, a channel of binary frames on its fd 3 (frame-channel.ts),
 * and, given a wrapper (prepared asynchronously: cgroups), the kernel sandbox around it. Whatever
 * the module does, including a native crash, ends only this process.
 */
export function launchProcess(
  o: LaunchOptions,
  events: TransportEvents,
  wrapper?: () => Promise<ProcessWrapper>,
): SandboxTransport {
  // Set explicitly: the node's own flags (loaders, inspector, test runners) must not leak in.
  const nodeArgs = [
    ...o.permissionArgs,
    `--max-old-space-size=${o.maxHeapMb}`,
    '--enable-source-maps',
    '--disable-warning=ExperimentalWarning',
    o.runtimeBundle,
  ];
  let child: ChildProcess | undefined;
  let channel: Socket | undefined;
  /** The sandbox wrote bytes that are no frame: nothing more it writes is read. */
  let broken = false;
  let killed = false;
  let exited = false;
  /** Batches posted before a wrapped process has started. */
  const early: Parameters<SandboxTransport['post']>[0][] = [];
  const exit = (reason: string) => {
    if (exited) return;
    exited = true;
    events.onExit(reason);
  };
  const start = (w: ProcessWrapper | undefined) => {
    const c = spawn(w?.file ?? process.execPath, w === undefined ? nodeArgs : [...w.args, ...nodeArgs], {
      cwd: o.cwd,
      // fd 3 (CHANNEL_FD): a socket pair, read and written in frames by both sides.
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: sandboxEnv(),
    });
    child = c;
    channel = c.stdio[3] as Socket;
    const reader = new FrameReader(o.maxFrameBytes);
    channel.on('data', (chunk: Buffer) => {
      if (broken) return;
      try {
        reader.push(chunk, (b) => events.onBatch(b));
      } catch (e) {
        broken = true;
        events.onBroken((e as Error).message);
      }
    });
    // A write to a sandbox that has just died fails here; its exit is reported by 'exit'.
    channel.on('error', () => undefined);
    const ended = (reason: string) => {
      if (w === undefined) return exit(reason);
      void w
        .explainExit(reason)
        .catch(() => reason)
        .then(async (r) => {
          await w.cleanup().catch(() => undefined);
          exit(r);
        });
    };
    c.on('exit', (code, signal) => ended(signal === null ? `exited with code ${code}` : `was killed by ${signal}`));
    c.on('error', (e) => {
      // 'error' also reports failed sends to a dying child; only a failed start ends it here.
      if (c.pid === undefined) ended(`could not start: ${e.message}`);
    });
    readLines(c.stdout, (l) => events.onOutput('stdout', l));
    readLines(c.stderr, (l) => events.onOutput('stderr', l));
    for (const b of early.splice(0)) post(b);
  };
  const post = (batch: Parameters<SandboxTransport['post']>[0]) => {
    if (channel === undefined) early.push(batch);
    // Encoded whole before any write: a batch that cannot be encoded writes nothing (postSafely).
    else if (channel.writable) postSafely(batch, (b) => writeFrames(channel!, b));
  };
  if (wrapper === undefined) start(undefined);
  else
    wrapper().then(
      async (w) => {
        if (!killed) return start(w);
        await w.cleanup().catch(() => undefined);
        exit('was stopped before it started');
      },
      (e: unknown) => exit(`could not start its kernel sandbox: ${(e as Error).message}`),
    );
  return {
    get pid() {
      return child?.pid;
    },
    post,
    kill: () => {
      killed = true;
      if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
