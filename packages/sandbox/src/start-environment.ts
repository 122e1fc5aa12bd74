/**
 * `/proc/self/environ` shows the environment block a process started with, not `process.env`:
 * a secret the node read and deleted from its environment stays readable there for any code in
 * the node's process (worker and inline modules). The kernel reads that block from the
 * process's own memory (between `env_start` and `env_end` of /proc/self/stat), so the node
 * overwrites the entries it deleted, through /proc/self/mem. Entries still set are left alone:
 * the C library's `environ` points into that block for them.
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

/** Fields 50 and 51 of /proc/self/stat (proc(5)), counted after the parenthesised command name. */
const ENV_START_FIELD = 50;

/**
 * Blanks (with NULs) every entry of the start environment whose variable is no longer in
 * `process.env`. Returns how many it blanked, or the reason it could not (not Linux, a kernel
 * that refuses writes to /proc/self/mem).
 */
export function scrubStartEnvironment(): number | string {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  let fd: number | undefined;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after "pid (comm)": the name may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[ENV_START_FIELD - 3]);
    const end = Number(fields[ENV_START_FIELD - 2]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start)
      return 'no environment block in /proc/self/stat';
    fd = openSync('/proc/self/mem', 'r+');
    const block = Buffer.alloc(end - start);
    readSync(fd, block, 0, block.length, start);
    let blanked = 0;
    for (let at = 0; at < block.length;) {
      const nul = block.indexOf(0, at);
      const stop = nul === -1 ? block.length : nul;
      const entry = block.toString('utf8', at, stop);
      const eq = entry.indexOf('=');
      if (eq > 0 && process.env[entry.slice(0, eq)] === undefined) {
        writeSync(fd, Buffer.alloc(stop - at), 0, stop - at, start + at);
        blanked++;
      }
      at = stop + 1;
    }
    return blanked;
  } catch (e) {
    return `cannot rewrite the start environment: ${(e as Error).message}`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
