import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

let cached: Promise<string[]> | undefined;

/**
 * The files Node needs to start: its binary and the shared libraries it links (from `ldd`), the
 * only host files a kernel sandbox shows besides the module's own. Asked once per process.
 */
export function nodeRuntimeFiles(): Promise<string[]> {
  cached ??= (async () => {
    const binary = realpathSync(process.execPath);
    const { stdout } = await run('ldd', [binary]);
    return [binary, ...parseLdd(stdout)];
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}

/** The absolute library paths in `ldd` output (`libc.so.6 => /lib/.../libc.so.6 (0x...)`, `/lib64/ld-linux... (0x...)`). */
export function parseLdd(text: string): string[] {
  const files: string[] = [];
  for (const line of text.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (m?.[1] !== undefined) files.push(m[1]);
  }
  return files;
}

/**
 * The system's shared-library folders, read-only, for a module allowed native addons: an addon
 * links libraries Node itself does not (librt, libz...). They hold code, not secrets.
 */
export function systemLibraryDirs(): string[] {
  return ['/lib', '/lib64', '/usr/lib', '/usr/lib64', '/usr/local/lib'].filter((d) => existsSync(d));
}
