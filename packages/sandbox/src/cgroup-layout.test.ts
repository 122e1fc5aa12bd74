/** cgroup v2 and v1 layouts, on fake cgroup folders: what the node finds and the limits it writes. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { findCgroupRoot } from './cgroup-layout.ts';
import { SandboxCgroup } from './cgroup.ts';
import { kernelLimitsInForce, type KernelLimits } from './kernel-command.ts';
import type { KernelSupport } from './kernel-probe.ts';

const LIMITS = { memoryBytes: 64 * 1024 * 1024, cpuPercent: 50, pids: 32 };
const KERNEL_LIMITS: KernelLimits = {
  maxOpenFiles: 64,
  diskQuotaMb: 1,
  tmpMb: 16,
  maxMemoryMb: 64,
  maxCpuPercent: 50,
  maxProcesses: 32,
};
const SUPPORT: Extract<KernelSupport, { available: true }> = {
  available: true,
  bwrap: '/usr/bin/bwrap',
  prlimit: '/usr/bin/prlimit',
  userNamespace: true,
  cgroups: undefined,
  cgroupsMissing: '',
  seccomp: true,
  seccompMissing: '',
};

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
    const v2 = { version: 'v2', dir: own };
    expect(found).toEqual({ controllers: { memory: v2, cpu: v2, pids: v2 }, missing: {} });
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
      controllers: {
        memory: { version: 'v1', dir: path.join(root, 'memory', 'jobs', 'node') },
        cpu: { version: 'v1', dir: path.join(root, 'cpu') },
        pids: { version: 'v1', dir: path.join(root, 'pids') },
      },
      missing: {},
    });
    if (typeof found === 'string') return;
    const cg = await SandboxCgroup.create(found, 'mod', LIMITS);
    expect(cg.procsFiles).toHaveLength(3);
    const name = path.basename(path.dirname(cg.procsFiles[0]!));
    expect(await read(root, 'memory', 'jobs', 'node', name, 'memory.limit_in_bytes')).toBe(String(LIMITS.memoryBytes));
    expect(await read(root, 'cpu', name, 'cpu.cfs_quota_us')).toBe('50000');
    expect(await read(root, 'pids', name, 'pids.max')).toBe('32');
  });

  it('cgroup - v2 without the cpu controller: memory and pids are used, cpu is not, and why', async () => {
    await files(root, { 'cgroup.controllers': 'memory pids' });
    const own = path.join(root, 'node');
    await files(own, { 'cgroup.controllers': 'memory pids', 'cgroup.subtree_control': '', 'cgroup.procs': '' });
    const found = await findCgroupRoot({ root, self: '0::/node\n', pid: 4242 });
    expect(found).toEqual({
      controllers: { memory: { version: 'v2', dir: own }, pids: { version: 'v2', dir: own } },
      missing: { cpu: 'cgroup v2 lacks the cpu controller here; cgroup v1 has no cpu hierarchy here' },
    });
    expect(await read(own, 'cgroup.subtree_control')).toBe('+memory +pids');
    if (typeof found === 'string') return;
    const cg = await SandboxCgroup.create(found, 'mod', LIMITS);
    const dir = path.dirname(cg.procsFiles[0]!);
    expect(await read(dir, 'memory.max')).toBe(String(LIMITS.memoryBytes));
    expect(await read(dir, 'pids.max')).toBe('32');
    expect(existsSync(path.join(dir, 'cpu.max'))).toBe(false);
    const limits = kernelLimitsInForce({ ...SUPPORT, cgroups: found }, KERNEL_LIMITS);
    expect(limits).toMatchObject({
      cgroups: 'v2 (memory, pids)',
      maxMemoryMb: KERNEL_LIMITS.maxMemoryMb,
      maxProcesses: KERNEL_LIMITS.maxProcesses,
      maxCpuPercent: 'not in force: cgroup v2 lacks the cpu controller here; cgroup v1 has no cpu hierarchy here',
    });
  });

  it('cgroup - mixed: v2 holds memory, v1 the cpu and pids hierarchies; a run joins both', async () => {
    await files(path.join(root, 'unified'), { 'cgroup.controllers': 'memory' });
    await files(path.join(root, 'unified', 'svc'), { 'cgroup.controllers': 'memory', 'cgroup.subtree_control': '' });
    await files(path.join(root, 'cpu'), { 'cgroup.procs': '' });
    await files(path.join(root, 'pids'), { 'cgroup.procs': '' });
    const self = ['5:pids:/', '3:cpu,cpuacct:/', '0::/svc'].join('\n');
    const found = await findCgroupRoot({ root, self, pid: 4242 });
    if (typeof found === 'string') throw new Error(found);
    expect(found.controllers).toEqual({
      memory: { version: 'v2', dir: path.join(root, 'unified', 'svc') },
      cpu: { version: 'v1', dir: path.join(root, 'cpu') },
      pids: { version: 'v1', dir: path.join(root, 'pids') },
    });
    const cg = await SandboxCgroup.create(found, 'mod', LIMITS);
    expect(cg.procsFiles).toHaveLength(3);
    const name = path.basename(path.dirname(cg.procsFiles[0]!));
    expect(await read(root, 'unified', 'svc', name, 'memory.max')).toBe(String(LIMITS.memoryBytes));
    expect(await read(root, 'cpu', name, 'cpu.cfs_quota_us')).toBe('50000');
    expect(await read(root, 'pids', name, 'pids.max')).toBe('32');
    expect(kernelLimitsInForce({ ...SUPPORT, cgroups: found }, KERNEL_LIMITS).cgroups).toBe('v2 (memory), v1 (cpu, pids)');
  });

  it('cgroup - neither: no controller in v2 or v1, with both reasons, and Describe says so for each limit', async () => {
    await files(root, { 'cgroup.controllers': '' });
    await files(path.join(root, 'node'), { 'cgroup.controllers': '', 'cgroup.subtree_control': '' });
    const found = await findCgroupRoot({ root, self: '0::/node\n', pid: 4242 });
    expect(found).toBe(
      'memory: cgroup v2 lacks the memory controller here; cgroup v1 has no memory hierarchy here; ' +
        'cpu: cgroup v2 lacks the cpu controller here; cgroup v1 has no cpu hierarchy here; ' +
        'pids: cgroup v2 lacks the pids controller here; cgroup v1 has no pids hierarchy here',
    );
    const limits = kernelLimitsInForce({ ...SUPPORT, cgroups: undefined, cgroupsMissing: 'none here' }, KERNEL_LIMITS);
    expect(limits).toMatchObject({
      cgroups: 'not in force: none here',
      maxMemoryMb: 'not in force: none here',
      maxCpuPercent: 'not in force: none here',
      maxProcesses: 'not in force: none here',
    });
  });

  it('cgroup - v1 with one hierarchy the node cannot write: the others are used', async () => {
    await files(path.join(root, 'memory'), { 'cgroup.procs': '' });
    await files(path.join(root, 'cpu'), { 'cgroup.procs': '' });
    // Creating a cgroup below the pids hierarchy fails (as root, a name taken is what can be faked: EEXIST).
    await files(path.join(root, 'pids'), { 'cgroup.procs': '', 'insights-probe-4242': '' });
    const self = ['4:memory:/', '3:cpu,cpuacct:/', '2:pids:/'].join('\n');
    const found = await findCgroupRoot({ root, self, pid: 4242 });
    if (typeof found === 'string') throw new Error(found);
    expect(Object.keys(found.controllers)).toEqual(['memory', 'cpu']);
    expect(found.missing.pids).toMatch(/^cgroup v2 is not mounted; cgroup v1: cannot create cgroups below .*pids \(EEXIST/);
  });
});
