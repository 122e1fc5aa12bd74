import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { REPO_ROOT } from './tmp.ts';

export const CLI = path.join(REPO_ROOT, 'packages', 'cli', 'bin', 'insights.js');

export interface NodeProcess {
  readonly proc: ChildProcess;
  readonly ready: { id: string; grpc: string; http: string; failedModules: { module: string; error: string }[] };
  readonly stderr: () => string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
}

/** Starts `insights node ...` as a real process and waits for its ready line (`cli`: another build of the CLI). */
export async function spawnNode(args: string[], env: NodeJS.ProcessEnv = {}, cli = CLI): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [cli, 'node', '--grpc', '0', '--http', '0', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<NodeProcess['ready']>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string };
        if (msg.event === 'ready') resolve(msg as NodeProcess['ready']);
      } catch {
        // not our line
      }
    });
    proc.on('exit', (code) => reject(new Error(`insights node exited with ${code} before ready:\n${stderr}`)));
  });
  return {
    proc,
    ready,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
        proc.once('exit', (code) => resolve(code));
        proc.kill('SIGTERM');
      }),
  };
}

/** Runs `insights <args>` to completion. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cli = CLI,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [cli, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
