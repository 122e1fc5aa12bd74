import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { ChannelInbox } from './channel-inbox.ts';
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
 * While more than this waits unread towards a sandbox, the node reads nothing more from it (so it
 * asks nothing more), until the sandbox has read it all. One large result is up to
 * `limits.maxResultBytes` (32 MiB by default) and crosses in a few milliseconds.
 */
const BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * Runs a sandbox in its own child process: its own heap (`--max-old-space-size`), the permission
 * model's file and spawn restrictions, a channel of binary frames on its fd 3 (frame-channel.ts),
 * and, given a wrapper (prepared asynchronously: cgroups), the kernel sandbox around it. Whatever
 * the module does, including a native crash, ends only this process.
 *
 * The channel is flow-controlled both ways, so a sandbox cannot make the node hold more than a
 * bounded amount for it: its messages go to the owner one at a time (channel-inbox.ts), and while
 * the owner has no room for one (module-requests.ts) or the node's own messages wait unread
 * beyond BACKLOG_BYTES, the node stops reading the socket: the kernel's buffer fills and the
 * sandbox's writes wait in the sandbox. A sandbox that leaves more than `maxUnreadBytes` (its
 * memory limit) of the node's messages unread is killed.
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
  let inbox: ChannelInbox | undefined;
  /** More than BACKLOG_BYTES of the node's messages wait unread: nothing more is read meanwhile. */
  let backlogged = false;
  /** Checks what waits unread after a post. */
  let sent = () => undefined as void;
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
    const socket = channel;
    const reader = new FrameReader(o.maxFrameBytes, o.maxMessageBytes);
    const broke = (reason: string) => {
      broken = true;
      messages.clear();
      events.onBroken(reason);
    };
    const readOn = () => {
      if (!messages.held && !backlogged) socket.resume();
    };
    const messages = new ChannelInbox(
      (m, bytes) => events.onMessage(m, bytes),
      (held) => (held ? socket.pause() : readOn()),
      (e) => broke((e as Error).message),
    );
    inbox = messages;
    socket.on('data', (chunk: Buffer) => {
      if (broken) return;
      try {
        reader.pushFrames(chunk, (f) => messages.push(f));
      } catch (e) {
        broke((e as Error).message);
      }
    });
    socket.on('drain', () => {
      backlogged = false;
      readOn();
    });
    sent = () => {
      const waiting = socket.writableLength;
      if (waiting > o.maxUnreadBytes && !broken)
        broke(
          `it leaves the node's messages unread: ${waiting} bytes wait, over the channel's limit of ${o.maxUnreadBytes} bytes`,
        );
      else if (waiting > BACKLOG_BYTES && !backlogged) {
        backlogged = true;
        socket.pause();
      }
    };
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
    else if (channel.writable) {
      postSafely(batch, (b) => writeFrames(channel!, b));
      sent();
    }
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
    resume: () => inbox?.resume(),
    kill: () => {
      killed = true;
      if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
