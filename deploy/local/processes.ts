import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CLI = path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'insights.js');

export interface ReadyProcess<T> {
  readonly proc: ChildProcess;
  readonly ready: T;
  /** The last 20 kB of its standard error (JSON log lines for a node). */
  stderr(): string;
  /** SIGTERM (clean: a node withdraws and drains) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: a crash, for fault tests. */
  kill(): Promise<void>;
}

/**
 * Runs `insights <args>` and resolves with its `{"event":"ready",...}` line (nodes and the
 * dashboard print one when they serve); rejects with its stderr if it exits first.
 */
export async function spawnInsights<T>(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<ReadyProcess<T>> {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => (proc.kill('SIGKILL'), reject(new Error(`insights ${args[0]} not ready within ${timeoutMs} ms:\n${stderr}`))),
      timeoutMs,
    );
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string };
        if (msg.event === 'ready') {
          clearTimeout(timer);
          resolve(msg as T);
        }
      } catch {
        // not the ready line
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`insights ${args[0]} exited (${code ?? signal}) before ready:\n${stderr}`));
    });
  });
  const signal = async (s: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(s);
    await exited;
  };
  return { proc, ready, stderr: () => stderr, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

/** A port free right now on loopback (for cluster routes, which peers must know before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
