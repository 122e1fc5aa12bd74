/** cgroup v2 and v1 layouts, on fake cgroup folders: what the node finds and the limits it writes. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findCgroupRoot, SandboxCgroup } from './cgroup.ts';

const LIMITS = { memoryBytes: 64 * 1024 * 1024, cpuPercent: 50, pids: 32 };

describe('cgroup layouts', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'insights-fake-cgroup-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function files(dir: string, contents: Record<string, string>): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const [f, text] of Object.entries(contents)) await writeFile(path.join(dir, f), text);
  }
  const read = (...p: string[]) => readFile(path.join(...p), 'utf8');

  it('cgroup - v2 (unified hierarchy): delegates memory, cpu and pids below the node and writes memory.max, cpu.max, pids.max', async () => {
    await files(root, { 'cgroup.controllers': 'cpuset cpu io memory pids' });
    const own = path.join(root, 'system.slice', 'insights.service');
    await files(own, { 'cgroup.controllers': 'cpu io memory pids', 'cgroup.subtree_control': '', 'cgroup.procs': '' });
    const found = await findCgroupRoot({ root, self: '0::/system.slice/insights.service\n', pid: 4242 });
    expect(found).toEqual({ version: 'v2', dirs: { memory: own, cpu: own, pids: own } });
    expect(await read(own, 'cgroup.subtree_control')).toBe('+memory +cpu +pids');
    if (typeof found === 'string') return;
    const cg = await SandboxCgroup.create(found, 'mod', LIMITS);
    const dir = path.dirname(cg.procsFiles[0]!);
    expect(cg.procsFiles).toHaveLength(1);
    expect(await read(dir, 'memory.max')).toBe(String(LIMITS.memoryBytes));
    expect(await read(dir, 'cpu.max')).toBe('50000 100000');
    expect(await read(dir, 'pids.max')).toBe('32');
  });

  it('cgroup - hybrid host: v2 mounted at unified/ without controllers, so v1, one hierarchy per controller', async () => {
    await files(path.join(root, 'unified'), { 'cgroup.controllers': '' });
    const self = ['12:pids:/', '6:memory:/jobs/node', '3:cpu,cpuacct:/', '0::/'].join('\n');
    for (const [c, rel] of [
      ['memory', 'jobs/node'],
      ['cpu', ''],
      ['pids', ''],
    ] as const)
      await files(path.join(root, c, rel), { 'cgroup.procs': '' });
    const found = await findCgroupRoot({ root, self, pid: 4242 });
    expect(found).toEqual({
      version: 'v1',
      dirs: { memory: path.join(root, 'memory', 'jobs', 'node'), cpu: path.join(root, 'cpu'), pids: path.join(root, 'pids') },
    });
    if (typeof found === 'string') return;
    const cg = await SandboxCgroup.create(found, 'mod', LIMITS);
    expect(cg.procsFiles).toHaveLength(3);
    const name = path.basename(path.dirname(cg.procsFiles[0]!));
    expect(await read(root, 'memory', 'jobs', 'node', name, 'memory.limit_in_bytes')).toBe(String(LIMITS.memoryBytes));
    expect(await read(root, 'cpu', name, 'cpu.cfs_quota_us')).toBe('50000');
    expect(await read(root, 'pids', name, 'pids.max')).toBe('32');
  });

  it('cgroup - neither: v2 without the pids controller and no v1 pids hierarchy, with both reasons', async () => {
    await files(root, { 'cgroup.controllers': 'cpu memory' });
    await files(path.join(root, 'node'), { 'cgroup.controllers': 'cpu memory', 'cgroup.subtree_control': '' });
    const found = await findCgroupRoot({ root, self: '0::/node\n', pid: 4242 });
    expect(found).toBe('cgroup v2 lacks the pids controller(s) here; cgroup v1 has no memory hierarchy here');
  });
});
