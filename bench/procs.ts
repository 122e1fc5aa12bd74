import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const BENCH_DIR = path.dirname(new URL(import.meta.url).pathname);
export const REPO = path.resolve(BENCH_DIR, '..');

export interface Server {
  readonly proc: ChildProcess;
  readonly ready: Record<string, unknown> & { address?: string; grpc?: string };
  stop(): Promise<void>;
}

/** Starts a TypeScript process and waits for its `{"event":"ready"}` line. */
export function startServer(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): Promise<Server> {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as Server['ready'] & { event?: string };
        if (msg.event === 'ready')
          resolve({
            proc,
            ready: msg,
            stop: () =>
              new Promise<void>((r) => {
                if (proc.exitCode !== null || proc.signalCode !== null) return r();
                proc.once('exit', () => r());
                proc.kill('SIGTERM');
                setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
              }),
          });
      } catch {
        // not the ready line
      }
    });
    proc.on('exit', (code) => reject(new Error(`${path.basename(script)} exited with ${code} before ready:\n${err}`)));
  });
}

/** Runs a TypeScript process to completion and parses the last line of its stdout as JSON. */
export function runJson<T>(script: string, args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    proc.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${path.basename(script)} ${args.join(' ')} exited with ${code}:\n${err}\n${out.slice(-2000)}`));
      }
    });
  });
}

/**
 * Starts `insights node` with the bench echo module under an isolation level; `default` passes
 * none, so the node runs what an operator gets by default (a process sandbox, under bubblewrap
 * where the kernel allows it).
 */
export function startInsightsNode(
  isolation: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): Promise<Server> {
  return startServer(
    path.join(REPO, 'packages', 'cli', 'src', 'main.ts'),
    [
      'node',
      '--grpc',
      '0',
      '--http',
      '0',
      ...(isolation === 'default' ? [] : ['--isolation', isolation]),
      '--data-dir',
      mkdtempSync(path.join(tmpdir(), `insights-bench-${isolation}-`)),
      ...extra,
    ],
    { INSIGHTS_LOG_LEVEL: 'warn', ...env },
    nodeArgs,
  );
}
