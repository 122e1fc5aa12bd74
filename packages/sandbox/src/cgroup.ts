/**
 * The cgroup(s) of one sandbox run: memory (heap and everything outside it), CPU time and
 * process count, held by the kernel, for each controller in force where the node runs
 * (cgroup-layout.ts); Describe says which (kernel-command.ts).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { killAll, rootDirs, type CgroupPlace, type CgroupRoot } from './cgroup-layout.ts';

export interface CgroupLimits {
  readonly memoryBytes: number;
  /** Percent of one core. */
  readonly cpuPercent: number;
  readonly pids: number;
}

const CPU_PERIOD_US = 100_000;

let sequence = 0;

/** The cgroup(s) of one sandbox run. Its processes join before they exec (see `procsFiles`). */
export class SandboxCgroup {
  /** One folder per hierarchy used (one in v2). */
  private readonly dirs: readonly string[];

  private constructor(
    private readonly root: CgroupRoot,
    private readonly name: string,
  ) {
    this.dirs = rootDirs(root).map((d) => path.join(d, name));
  }

  /** Creates the cgroup of one sandbox run and writes the limits of the controllers in force. */
  static async create(root: CgroupRoot, label: string, limits: CgroupLimits): Promise<SandboxCgroup> {
    const name = `insights-${process.pid}-${label.replace(/[^A-Za-z0-9_-]/g, '_')}-${++sequence}`;
    const cg = new SandboxCgroup(root, name);
    try {
      for (const d of cg.dirs) await mkdir(d);
      await cg.#write(limits);
    } catch (e) {
      await cg.remove();
      throw e;
    }
    return cg;
  }

  async #write(l: CgroupLimits): Promise<void> {
    const { memory, cpu, pids } = this.root.controllers;
    const at = (p: CgroupPlace, file: string) => path.join(p.dir, this.name, file);
    if (memory !== undefined) await writeMemory(memory, (f) => at(memory, f), l.memoryBytes);
    if (cpu !== undefined) {
      const quotaUs = Math.max(1000, Math.round((l.cpuPercent / 100) * CPU_PERIOD_US));
      if (cpu.version === 'v2') await writeFile(at(cpu, 'cpu.max'), `${quotaUs} ${CPU_PERIOD_US}`);
      else {
        await writeFile(at(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
        await writeFile(at(cpu, 'cpu.cfs_quota_us'), String(quotaUs));
      }
    }
    if (pids !== undefined) await writeFile(at(pids, 'pids.max'), String(l.pids));
  }

  /** The `cgroup.procs` files a process writes its pid to, to join every controller in force. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  /** How many times the kernel killed a process here for memory (0 if it cannot tell, or no memory controller). */
  async oomKills(): Promise<number> {
    const memory = this.root.controllers.memory;
    if (memory === undefined) return 0;
    const file = path.join(memory.dir, this.name, memory.version === 'v2' ? 'memory.events' : 'memory.oom_control');
    const text = await readFile(file, 'utf8').catch(() => '');
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  /** Kills whatever is left in it and removes it (retries while the kernel finishes the exits). */
  async remove(): Promise<void> {
    for (const d of this.dirs) {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          await rmdir(d);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY' || attempt === 49) throw e;
          await killAll(d);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}

/** The memory limit, with no swap: memory over the limit must end the sandbox, not slow the host down. */
async function writeMemory(p: CgroupPlace, at: (file: string) => string, bytes: number): Promise<void> {
  if (p.version === 'v2') {
    await writeFile(at('memory.max'), String(bytes));
    if (existsSync(at('memory.swap.max'))) await writeFile(at('memory.swap.max'), '0');
    return;
  }
  await writeFile(at('memory.limit_in_bytes'), String(bytes));
  if (existsSync(at('memory.memsw.limit_in_bytes'))) await writeFile(at('memory.memsw.limit_in_bytes'), String(bytes));
}
