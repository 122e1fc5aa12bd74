/**
 * Node start with N shipped modules in process sandboxes, one after the other as the node starts
 * them (bundle, probe, start): run it twice on the same --data folder to see the bundle cache at
 * work (the first run bundles every module, the second finds them cached). Prints {"startMs":n,"modules":N}.
 *   --data DIR       the node's data folder (created if missing)
 *   --kernel on|off  bubblewrap (the default where it runs) or the permission model only
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDbProvider } from '@insights/db';
import { createLogger, type ModuleHost } from '@insights/runtime';
import { probeKernelSandbox, startModuleHost, type KernelSupport } from '@insights/sandbox';

const MODULES = [
  'testmodule',
  'examples',
  'edx',
  'irt',
  'weekly-activity',
  'video-engagement',
  'answer-distribution',
  'grade-distribution',
  'time-on-task',
  'enrollment',
];

const { values: o } = parseArgs({ options: { data: { type: 'string' }, kernel: { type: 'string', default: 'on' } } });
if (o.data === undefined) throw new Error('--data DIR is required');
const dataDir = path.resolve(o.data);
mkdirSync(dataDir, { recursive: true });
const kernelSandbox: KernelSupport =
  o.kernel === 'on' ? await probeKernelSandbox() : { available: false, reason: 'turned off for the measurement' };
const env = {
  dataDir,
  db: createDbProvider({ kind: 'embedded', dir: path.join(dataDir, 'db') }),
  makeFileUrl: () => '',
  mesh: { invoke: () => Promise.reject(new Error('no mesh')), names: () => [] },
  log: createLogger(() => undefined, {}, 'error'),
  kernelSandbox,
};
const repo = path.join(import.meta.dirname, '..', '..');
const t = performance.now();
const hosts: ModuleHost[] = [];
for (const m of MODULES)
  hosts.push(await startModuleHost({ spec: path.join(repo, 'modules', m), baseDir: repo, isolation: 'process' }, env));
const startMs = Math.round(performance.now() - t);
await Promise.all(hosts.map((h) => h.close()));
console.log(JSON.stringify({ startMs, modules: MODULES.length }));
