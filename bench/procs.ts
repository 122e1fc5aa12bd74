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

/** `insights`, as an operator runs it: the built CLI (packages/cli/dist), see ensureCliBuilt. */
export const INSIGHTS_BIN = path.join(REPO, 'packages', 'cli', 'bin', 'insights.js');

let built: Promise<void> | undefined;

/**
 * Builds the CLI once per bench process, so nodes run the JavaScript an operator's `insights`
 * runs, not the sources under tsx (whose per-function `__name` helper showed in node profiles).
 * The bin itself falls back to the sources if the build is older than one of them.
 */
export function ensureCliBuilt(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(REPO, 'packages', 'cli', 'scripts', 'build.mjs')], { stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the CLI exited with ${code}`))));
  });
  return built;
}

/**
 * Starts a process and waits for its `{"event":"ready"}` line: a TypeScript script under tsx, or
 * (`tsx: false`) a JavaScript one as it is.
 */
export function startServer(
  script: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
  tsx = true,
): Promise<Server> {
  const proc = spawn(process.execPath, [...nodeArgs, ...(tsx ? ['--import', 'tsx'] : []), script, ...args], {
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
export async function startInsightsNode(
  isolation: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): Promise<Server> {
  await ensureCliBuilt();
  return startServer(
    INSIGHTS_BIN,
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
    false,
  );
}
