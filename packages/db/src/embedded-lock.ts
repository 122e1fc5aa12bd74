/**
 * One writer per database directory: two processes appending to one journal would interleave
 * records. A `LOCK` file holds the owner's pid; a lock whose process is gone (kill -9, reboot)
 * is taken over.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DbError } from './errors.ts';

export const LOCK_FILE = 'LOCK';

/** Locks held by this process: a lock file with our own pid but not listed here is stale. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(file: string): Promise<boolean> {
  try {
    const fh = await open(file, 'wx');
    try {
      await fh.writeFile(`${process.pid}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Takes the lock of `dir` (created if needed); returns a function that releases it. */
export async function lockDirectory(dir: string, dbName: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK_FILE);
  if (heldHere.has(file)) throw locked(dbName, file, process.pid);
  await mkdir(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await tryCreate(file)) {
      heldHere.add(file);
      return async () => {
        heldHere.delete(file);
        await unlink(file).catch(() => undefined);
      };
    }
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw locked(dbName, file, pid);
    await unlink(file).catch(() => undefined); // stale: its process is gone
  }
  throw locked(dbName, file, undefined);
}

function locked(dbName: string, file: string, pid: number | undefined): DbError {
  return new DbError(
    'DB_LOCKED',
    `Database ${dbName} is in use by ${pid === undefined ? 'another process' : `process ${pid}`} (${file}). ` +
      'Close that provider first; delete the file only if no process uses the database.',
    { file },
  );
}
