import type { Readable } from 'node:stream';
import type { ParentBatch } from './protocol.ts';

/** What a running sandbox reports to its owner. */
export interface TransportEvents {
  /**
   * One message from the sandbox, not yet validated (the module can send anything), in the order
   * sent. False: no room for it now; the transport keeps it and everything after it (and stops
   * reading the sandbox's channel) until `SandboxTransport.resume()`. `bytes`: what it took on the
   * channel (0 when not counted: a worker's posted messages).
   */
  onMessage(message: unknown, bytes: number): boolean;
  /** The channel's bytes cannot be read (frame-channel.ts): the host kills the sandbox. */
  onBroken(reason: string): void;
  /** A line the module wrote to stdout or stderr. */
  onOutput(stream: 'stdout' | 'stderr', line: string): void;
  /** The sandbox is gone; called exactly once, with a reason for operators. */
  onExit(reason: string): void;
}

/** One running sandbox, whatever it runs in: the host only posts batches and kills. */
export interface SandboxTransport {
  /** OS process id (process isolation), for status and for tests that kill it. */
  readonly pid: number | undefined;
  post(batch: ParentBatch): void;
  /** The owner has room again for a message it refused: deliver it and what follows, read on. */
  resume(): void;
  /** Hard stop (SIGKILL, worker.terminate); onExit follows. */
  kill(): void;
}

export interface LaunchOptions {
  /** The bundled sandbox runtime (child-main.ts). */
  readonly runtimeBundle: string;
  /** Working folder: the module's data folder (process isolation). */
  readonly cwd: string;
  readonly maxHeapMb: number;
  /** Permission-model flags (process isolation). */
  readonly permissionArgs: readonly string[];
  /** The largest frame the host reads from the sandbox (process isolation; channel-limits.ts). */
  readonly maxFrameBytes: number;
  /** The largest serialised message in those frames (channel-limits.ts). */
  readonly maxMessageBytes: number;
  /** The node's messages a sandbox may leave unread before it is killed: its memory limit. */
  readonly maxUnreadBytes: number;
}

const MAX_LINE = 8 * 1024;

/** Calls `onLine` per line of a text stream (long lines are cut: a module cannot grow our buffers). */
export function readLines(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  if (stream === null || stream === undefined) return;
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = (parts.pop() ?? '').slice(0, MAX_LINE);
    for (const p of parts) onLine(p.length > MAX_LINE ? `${p.slice(0, MAX_LINE)}…` : p);
  });
  stream.on('end', () => {
    if (partial !== '') onLine(partial);
    partial = '';
  });
}

/** The environment a sandbox gets: none of the node's own variables (they may hold secrets). */
export function sandboxEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['NODE_ENV', 'TZ', 'LANG', 'LC_ALL']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}
