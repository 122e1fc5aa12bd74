import { readdirSync, readFileSync } from 'node:fs';

/** User + system CPU (ms) of a process and all its descendants (or of itself alone), from /proc (Linux). */
export function treeCpuMs(root: number, alone = false): number {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const stats = new Map<number, { ppid: number; ms: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Fields after the command (which may hold spaces) start at state: ppid is 2nd, utime 12th, stime 13th.
      const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ').pop()!.split(' ');
      stats.set(Number(d), { ppid: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * tick });
    } catch {
      // gone meanwhile
    }
  }
  if (alone) return stats.get(root)?.ms ?? 0;
  let total = 0;
  for (const [pid, s] of stats) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = stats.get(p)?.ppid)
      if (p === root) {
        total += s.ms;
        break;
      }
  }
  return total;
}
