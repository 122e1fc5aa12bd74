/**
 * Start time of a process sandbox: how long from a sandbox's death to its successor answering
 * (restart with no backoff: spawn, bubblewrap when on, Node, the runtime and module bundles,
 * ready). Prints {"startMs":[...]} on its last line.
 *   --kernel on|off   run under bubblewrap (the node's default where it runs) or the permission model only
 *   --runs N
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDbProvider } from '@insights/db';
import { createLogger } from '@insights/runtime';
import { probeKernelSandbox, startModuleHost, type KernelSupport, type SandboxHost } from '@insights/sandbox';

const { values: o } = parseArgs({
  options: { kernel: { type: 'string', default: 'on' }, runs: { type: 'string', default: '10' } },
});
const kernelSandbox: KernelSupport =
  o.kernel === 'on' ? await probeKernelSandbox() : { available: false, reason: 'turned off for the measurement' };
if (o.kernel === 'on' && !kernelSandbox.available) throw new Error(`no kernel sandbox here: ${kernelSandbox.reason}`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'insights-bench-start-'));
const env = {
  dataDir,
  db: createDbProvider({ kind: 'embedded', dir: path.join(dataDir, 'db') }),
  makeFileUrl: () => '',
  mesh: { invoke: () => Promise.reject(new Error('no mesh')), names: () => [] },
  log: createLogger(() => undefined, {}, 'error'),
  kernelSandbox,
};
const host = (await startModuleHost(
  {
    spec: path.join(import.meta.dirname, '..', 'modules', 'echo'),
    baseDir: process.cwd(),
    isolation: 'process',
    restart: { initialBackoffMs: 0, crashLoopAfter: 1000 },
  },
  env,
)) as SandboxHost;

const startMs: number[] = [];
for (let i = 0; i < Number(o.runs); i++) {
  const before = host.status().restarts;
  const t = performance.now();
  process.kill(host.pid!, 'SIGKILL');
  while (host.status().restarts === before || host.status().state !== 'ready') await new Promise((r) => setImmediate(r));
  startMs.push(performance.now() - t);
}
await host.close();
rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify({ startMs }));
