import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { probeKernelSandbox } from '@insights/sandbox';
import { describe } from 'vitest';

/** The hostile suite needs bubblewrap; where it cannot run, each suite says by name that it is skipped, and why. */
export const kernel = await probeKernelSandbox();

export function describeKernel(name: string, body: () => void): void {
  if (!kernel.available) console.warn(`[hostile] SKIPPED "${name}": ${kernel.reason}`);
  describe.skipIf(!kernel.available)(name, body);
}

/** Every file under `root` except those under `except`, with size and mtime: to prove an attack changed nothing there. */
export async function snapshot(root: string, except: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (except.some((x) => p === x || p.startsWith(`${x}${path.sep}`))) continue;
      if (e.isDirectory()) await walk(p);
      else {
        const s = await stat(p);
        out[p] = `${s.size}:${s.mtimeMs}`;
      }
    }
  };
  await walk(root);
  return out;
}
