/**
 * The disk quota of a module's data folders, enforced by the node: it measures what the folders
 * hold (allocated blocks, so sparse files count for what they use) and, over the quota, kills
 * the sandbox and starts the next one with the folders read-only. The kernel caps every single
 * file at the quota (RLIMIT_FSIZE), so one write cannot overshoot by more than what the module
 * writes between two measurements.
 *
 * Why not a filesystem quota: project quotas need XFS or ext4 mounted with prjquota, and a
 * loop-mounted image per module needs a free loop device and leaks its mount when the node is
 * killed; neither is something a node can count on. See deploy/SECURITY.md.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Bytes allocated to everything under `dir` (symlinks are not followed); 0 if it does not exist. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const d = pending.pop()!;
    let entries: string[];
    try {
      entries = await readdir(d);
    } catch {
      continue; // gone meanwhile, or not a folder
    }
    for (const e of entries) {
      const p = path.join(d, e);
      const st = await lstat(p).catch(() => undefined);
      if (st === undefined) continue;
      total += st.blocks * 512;
      if (st.isDirectory()) pending.push(p);
    }
  }
  return total;
}

export async function foldersBytes(dirs: readonly string[]): Promise<number> {
  let total = 0;
  for (const d of dirs) total += await folderBytes(d);
  return total;
}

export const DISK_QUOTA_CHECK_MS = 500;

/** Measures `dirs` every `intervalMs` while a sandbox runs; calls `onOver` once when they exceed `quotaBytes`. */
export function watchDiskQuota(
  dirs: readonly string[],
  quotaBytes: number,
  onOver: (bytes: number) => void,
  intervalMs = DISK_QUOTA_CHECK_MS,
): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const bytes = await foldersBytes(dirs);
    if (stopped) return;
    if (bytes > quotaBytes) {
      stopped = true;
      onOver(bytes);
      return;
    }
    timer = setTimeout(() => void check(), intervalMs);
    timer.unref();
  };
  timer = setTimeout(() => void check(), intervalMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
