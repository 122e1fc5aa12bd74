import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCgroupRoot } from './cgroup-layout.ts';
import { SandboxCgroup } from './cgroup.ts';

const root = await findCgroupRoot();
if (typeof root === 'string') console.warn(`[cgroup] SKIPPED: ${root}`);

describe.skipIf(typeof root === 'string')('sandbox - cgroups', () => {
  it('cgroup - a run gets its limits written, and is removed after', async () => {
    if (typeof root === 'string') return;
    const cg = await SandboxCgroup.create(root, 'unit/test', { memoryBytes: 64 * 1024 * 1024, cpuPercent: 50, pids: 32 });
    const [procs] = cg.procsFiles;
    const dir = path.dirname(procs!);
    expect(path.basename(dir)).toMatch(new RegExp(`^insights-${process.pid}-unit_test-\\d+$`));
    const place = root.controllers.memory;
    if (place === undefined) return; // no memory controller here: cgroup-layout.test.ts covers the rest
    const memory = path.join(place.dir, path.basename(dir));
    const file = place.version === 'v2' ? 'memory.max' : 'memory.limit_in_bytes';
    expect(Number(await readFile(path.join(memory, file), 'utf8'))).toBe(64 * 1024 * 1024);
    expect(await cg.oomKills()).toBe(0);
    await cg.remove();
    expect(existsSync(dir)).toBe(false);
  });

  it('cgroup - cgroups left by a node that died are removed when the next node looks', async () => {
    if (typeof root === 'string') return;
    const stale = path.join(Object.values(root.controllers)[0]!.dir, 'insights-999999999-gone-1');
    await mkdir(stale);
    expect(typeof (await findCgroupRoot())).toBe('object');
    expect(existsSync(stale)).toBe(false);
  });
});
