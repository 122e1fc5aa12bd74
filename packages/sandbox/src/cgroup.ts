/**
 * Per-sandbox cgroups: memory (heap and everything outside it), CPU time and process count, held
 * by the kernel. cgroup v2 where the node can delegate its controllers; otherwise cgroup v1 (the
 * hybrid layout of older hosts and some VMs). Without either, the kernel sandbox still runs,
 * and Describe says these limits are not in force.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type CgroupVersion = 'v2' | 'v1';

const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
type Controller = (typeof CONTROLLERS)[number];

/** Where this node creates sandbox cgroups: one folder per controller (all the same in v2). */
export interface CgroupRoot {
  readonly version: CgroupVersion;
  readonly dirs: Readonly<Record<Controller, string>>;
}

export interface CgroupLimits {
  readonly memoryBytes: number;
  /** Percent of one core. */
  readonly cpuPercent: number;
  readonly pids: number;
}

const CPU_PERIOD_US = 100_000;
const ROOT = '/sys/fs/cgroup';

/** Where to look: the real system by default; tests give a fake cgroup folder and membership. */
export interface CgroupHost {
  /** The cgroup mount folder (`/sys/fs/cgroup`). */
  readonly root: string;
  /** The text of `/proc/self/cgroup`. */
  readonly self: string;
  /** The node's pid, moved into a leaf cgroup when v2 needs one. */
  readonly pid: number;
}

/**
 * Finds where this process may create cgroups with the three controllers, or says why not:
 * cgroup v2 (the unified hierarchy, at the mount root or at `unified/` in the hybrid layout)
 * first, else v1 (one hierarchy per controller).
 */
export async function findCgroupRoot(host?: CgroupHost): Promise<CgroupRoot | string> {
  let h: CgroupHost;
  try {
    h = host ?? { root: ROOT, self: await readFile('/proc/self/cgroup', 'utf8'), pid: process.pid };
  } catch {
    return 'no /proc/self/cgroup (not Linux?)';
  }
  const v2 = await v2Root(h);
  const root = typeof v2 !== 'string' ? v2 : await v1Root(h);
  if (typeof root === 'string') return `${v2}; ${root}`;
  await removeStale(root);
  return root;
}

/** Cgroups left by a node that was killed (its pid is gone): emptied and removed. */
async function removeStale(root: CgroupRoot): Promise<void> {
  for (const dir of new Set(Object.values(root.dirs)))
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const pid = Number(/^insights-(\d+)-/.exec(name)?.[1]);
      if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
      await killAll(path.join(dir, name));
      await rmdir(path.join(dir, name)).catch(() => undefined);
    }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function v2Root({ root, self, pid }: CgroupHost): Promise<CgroupRoot | string> {
  const rel = /^0::(.*)$/m.exec(self)?.[1];
  const mount = existsSync(path.join(root, 'cgroup.controllers')) ? root : path.join(root, 'unified');
  if (rel === undefined || !existsSync(path.join(mount, 'cgroup.controllers'))) return 'cgroup v2 is not mounted';
  const dir = path.resolve(mount, `.${rel}`);
  const available = (await readFile(path.join(dir, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
  const missing = CONTROLLERS.filter((c) => !available.includes(c));
  if (missing.length > 0) return `cgroup v2 lacks the ${missing.join(', ')} controller(s) here`;
  try {
    await enableControllers(dir, pid);
  } catch (e) {
    return `cgroup v2: cannot delegate controllers below ${dir} (${(e as Error).message}); run the node in a delegated cgroup (systemd Delegate=yes)`;
  }
  return { version: 'v2', dirs: { memory: dir, cpu: dir, pids: dir } };
}

/**
 * v2 allows controllers below a cgroup only when it holds no processes itself: a delegated
 * service moves itself into a leaf `node` first (what systemd documents for Delegate=yes).
 */
async function enableControllers(dir: string, pid: number): Promise<void> {
  const enable = () => writeFile(path.join(dir, 'cgroup.subtree_control'), CONTROLLERS.map((c) => `+${c}`).join(' '));
  try {
    await enable();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
    const leaf = path.join(dir, 'node');
    await mkdir(leaf, { recursive: true });
    await writeFile(path.join(leaf, 'cgroup.procs'), String(pid));
    await enable();
  }
}

async function v1Root({ root, self, pid }: CgroupHost): Promise<CgroupRoot | string> {
  const dirs = {} as Record<Controller, string>;
  for (const c of CONTROLLERS) {
    const line = self.split('\n').find((l) => l.split(':')[1]?.split(',').includes(c));
    const rel = line?.split(':').slice(2).join(':');
    const dir = rel === undefined ? undefined : path.resolve(root, c, `.${rel}`);
    if (dir === undefined || !existsSync(path.join(dir, 'cgroup.procs'))) return `cgroup v1 has no ${c} hierarchy here`;
    dirs[c] = dir;
  }
  // Writable? Try creating and removing a child (what every sandbox start does).
  const probe = path.join(dirs.memory, `insights-probe-${pid}`);
  try {
    await mkdir(probe);
    await rmdir(probe);
  } catch (e) {
    return `cgroup v1: cannot create cgroups below ${dirs.memory} (${(e as Error).message})`;
  }
  return { version: 'v1', dirs };
}

let sequence = 0;

/** The cgroup(s) of one sandbox run. Its processes join before they exec (see `procsFiles`). */
export class SandboxCgroup {
  /** One folder per controller (one in v2). */
  private readonly dirs: readonly string[];

  private constructor(
    private readonly root: CgroupRoot,
    private readonly name: string,
  ) {
    this.dirs = [...new Set(CONTROLLERS.map((c) => path.join(root.dirs[c], name)))];
  }

  /** Creates the cgroup of one sandbox run and writes its limits. */
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
    const at = (c: Controller, file: string) => path.join(this.root.dirs[c], this.name, file);
    const quotaUs = Math.max(1000, Math.round((l.cpuPercent / 100) * CPU_PERIOD_US));
    if (this.root.version === 'v2') {
      await writeFile(at('memory', 'memory.max'), String(l.memoryBytes));
      // No swap: memory over the limit must end the sandbox, not slow the host down.
      if (existsSync(at('memory', 'memory.swap.max'))) await writeFile(at('memory', 'memory.swap.max'), '0');
      await writeFile(at('cpu', 'cpu.max'), `${quotaUs} ${CPU_PERIOD_US}`);
      await writeFile(at('pids', 'pids.max'), String(l.pids));
      return;
    }
    await writeFile(at('memory', 'memory.limit_in_bytes'), String(l.memoryBytes));
    if (existsSync(at('memory', 'memory.memsw.limit_in_bytes')))
      await writeFile(at('memory', 'memory.memsw.limit_in_bytes'), String(l.memoryBytes));
    await writeFile(at('cpu', 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    await writeFile(at('cpu', 'cpu.cfs_quota_us'), String(quotaUs));
    await writeFile(at('pids', 'pids.max'), String(l.pids));
  }

  /** The `cgroup.procs` files a process writes its pid to, to join every controller. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  /** How many times the kernel killed a process here for memory (0 if it cannot tell). */
  async oomKills(): Promise<number> {
    const file = path.join(this.root.dirs.memory, this.name, this.root.version === 'v2' ? 'memory.events' : 'memory.oom_control');
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

async function killAll(dir: string): Promise<void> {
  if (existsSync(path.join(dir, 'cgroup.kill'))) {
    await writeFile(path.join(dir, 'cgroup.kill'), '1').catch(() => undefined);
    return;
  }
  const pids = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  for (const p of pids)
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // already gone
    }
}
