/**
 * Where this node can create sandbox cgroups, controller by controller (memory, cpu, pids):
 * cgroup v2 where the node can delegate the controller, otherwise its cgroup v1 hierarchy (the
 * hybrid layout of older hosts and some VMs); a controller neither offers is left out alone, and
 * says why. Cgroups a killed node left behind are removed here too.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type CgroupVersion = 'v2' | 'v1';

export const CGROUP_CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
export type CgroupController = (typeof CGROUP_CONTROLLERS)[number];

/** Where one controller's sandbox cgroups are created. */
export interface CgroupPlace {
  readonly version: CgroupVersion;
  readonly dir: string;
}

/** Where this node creates sandbox cgroups: per controller in force (one folder for all of v2). */
export interface CgroupRoot {
  readonly controllers: Readonly<Partial<Record<CgroupController, CgroupPlace>>>;
  /** Why each controller that is not in `controllers` is not in force. */
  readonly missing: Readonly<Partial<Record<CgroupController, string>>>;
}

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
 * Finds where this process may create cgroups, controller by controller: cgroup v2 (the unified
 * hierarchy, at the mount root or at `unified/` in the hybrid layout) first, else v1 (one
 * hierarchy per controller). Says why when no controller can be used at all.
 */
export async function findCgroupRoot(host?: CgroupHost): Promise<CgroupRoot | string> {
  let h: CgroupHost;
  try {
    h = host ?? { root: ROOT, self: await readFile('/proc/self/cgroup', 'utf8'), pid: process.pid };
  } catch {
    return 'no /proc/self/cgroup (not Linux?)';
  }
  const v2 = await v2Controllers(h);
  const controllers: Partial<Record<CgroupController, CgroupPlace>> = {};
  const missing: Partial<Record<CgroupController, string>> = {};
  for (const c of CGROUP_CONTROLLERS) {
    const in2 = v2[c];
    if (typeof in2 !== 'string') {
      controllers[c] = in2;
      continue;
    }
    const in1 = await v1Controller(h, c);
    if (typeof in1 === 'string') missing[c] = `${in2}; ${in1}`;
    else controllers[c] = in1;
  }
  if (Object.keys(controllers).length === 0) return summary(missing);
  const root = { controllers, missing };
  await removeStale(root);
  return root;
}

/** One text for all controllers' reasons: controllers with the same reason share it. */
function summary(missing: Partial<Record<CgroupController, string>>): string {
  const byReason = new Map<string, CgroupController[]>();
  for (const c of CGROUP_CONTROLLERS) {
    const why = missing[c];
    if (why !== undefined) byReason.set(why, [...(byReason.get(why) ?? []), c]);
  }
  if (byReason.size === 1) return [...byReason.keys()][0]!;
  return [...byReason].map(([why, cs]) => `${cs.join(', ')}: ${why}`).join('; ');
}

/** The folders sandbox cgroups are made in (one for all v2 controllers). */
export function rootDirs(root: CgroupRoot): string[] {
  return [...new Set(Object.values(root.controllers).map((p) => p.dir))];
}

/** Cgroups left by a node that was killed (its pid is gone): emptied and removed. */
async function removeStale(root: CgroupRoot): Promise<void> {
  for (const dir of rootDirs(root))
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

type Found = Record<CgroupController, CgroupPlace | string>;

/** Each controller v2 delegates below the node's cgroup, or why it does not. */
async function v2Controllers({ root, self, pid }: CgroupHost): Promise<Found> {
  const all = (why: string): Found => ({ memory: why, cpu: why, pids: why });
  const rel = /^0::(.*)$/m.exec(self)?.[1];
  const mount = existsSync(path.join(root, 'cgroup.controllers')) ? root : path.join(root, 'unified');
  if (rel === undefined || !existsSync(path.join(mount, 'cgroup.controllers'))) return all('cgroup v2 is not mounted');
  const dir = path.resolve(mount, `.${rel}`);
  const available = (await readFile(path.join(dir, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
  const found = all('');
  const offered: CgroupController[] = [];
  for (const c of CGROUP_CONTROLLERS)
    if (available.includes(c)) offered.push(c);
    else found[c] = `cgroup v2 lacks the ${c} controller here`;
  if (offered.length === 0) return found;
  const refused = await enableControllers(dir, pid, offered);
  for (const c of offered) {
    const why = refused.get(c);
    found[c] =
      why === undefined
        ? { version: 'v2', dir }
        : `cgroup v2: cannot delegate ${c} below ${dir} (${why}); run the node in a delegated cgroup (systemd Delegate=yes)`;
  }
  return found;
}

/**
 * Enables `controllers` for the cgroups below `dir`; returns those the kernel refused, with why.
 * All at once first (the kernel applies such a write wholly or not at all), then one by one.
 * v2 allows controllers below a cgroup only when it holds no processes itself: a delegated
 * service moves itself into a leaf `node` first (what systemd documents for Delegate=yes).
 */
async function enableControllers(
  dir: string,
  pid: number,
  controllers: readonly CgroupController[],
): Promise<Map<CgroupController, string>> {
  const enable = (cs: readonly CgroupController[]) =>
    writeFile(path.join(dir, 'cgroup.subtree_control'), cs.map((c) => `+${c}`).join(' '));
  const refused = new Map<CgroupController, string>();
  try {
    await enable(controllers);
    return refused;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EBUSY')
      try {
        const leaf = path.join(dir, 'node');
        await mkdir(leaf, { recursive: true });
        await writeFile(path.join(leaf, 'cgroup.procs'), String(pid));
      } catch (moved) {
        for (const c of controllers) refused.set(c, (moved as Error).message);
        return refused;
      }
  }
  for (const c of controllers) await enable([c]).catch((e: unknown) => refused.set(c, (e as Error).message));
  return refused;
}

/** One controller's v1 hierarchy, if it is mounted and the node can create cgroups in it. */
async function v1Controller({ root, self, pid }: CgroupHost, c: CgroupController): Promise<CgroupPlace | string> {
  const line = self.split('\n').find((l) => l.split(':')[1]?.split(',').includes(c));
  const rel = line?.split(':').slice(2).join(':');
  const dir = rel === undefined ? undefined : path.resolve(root, c, `.${rel}`);
  if (dir === undefined || !existsSync(path.join(dir, 'cgroup.procs'))) return `cgroup v1 has no ${c} hierarchy here`;
  // Writable? Try creating and removing a child (what every sandbox start does).
  const probe = path.join(dir, `insights-probe-${pid}`);
  try {
    await mkdir(probe);
    await rmdir(probe);
  } catch (e) {
    return `cgroup v1: cannot create cgroups below ${dir} (${(e as Error).message})`;
  }
  return { version: 'v1', dir };
}

/** Kills every process of a cgroup (cgroup.kill where the kernel has it). */
export async function killAll(dir: string): Promise<void> {
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
