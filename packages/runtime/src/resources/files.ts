import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InsightsError, type ModuleFiles } from '@insights/sdk';
import { RESERVED_DIR, resolveInside } from './safe-path.ts';

const EXPIRY_FILE = 'expiry.json';
export const DEFAULT_URL_TTL_SECONDS = 3600;

/**
 * Gives the absolute URL of a module file; the node supplies it (it knows its HTTP origin and the
 * signing secret). Inside a sandbox it is a round trip to the node, hence the Promise.
 */
export type FileUrlMaker = (module: string, name: string, ttlSeconds: number) => string | Promise<string>;

/** A module's files as the runtime holds them: what modules see, plus the node's sweep of expired files. */
export interface StoredModuleFiles extends ModuleFiles {
  /** Deletes every expired file; returns the names deleted. */
  sweep(nowMs?: number): Promise<string[]>;
}

/**
 * A module's files on local disk under `root`. Expiry times live in one small table, written
 * atomically (temp file + rename) so a crash never leaves it half-written; `sweep()` deletes
 * what has expired and the node calls it on a timer.
 */
export class DiskModuleFiles implements StoredModuleFiles {
  readonly #root: string;
  readonly #module: string;
  readonly #makeUrl: FileUrlMaker;
  #expiry: Map<string, number> | undefined;
  #expiryWrite: Promise<void> = Promise.resolve();
  readonly #maxTableBytes: number;

  /**
   * @param maxTableBytes the largest expiry table read (the node reading a sandboxed module's
   *   files: the module writes that table and may make it anything); a larger one fails the read.
   */
  constructor(module: string, root: string, makeUrl: FileUrlMaker, maxTableBytes = Infinity) {
    this.#module = module;
    this.#root = root;
    this.#makeUrl = makeUrl;
    this.#maxTableBytes = maxTableBytes;
  }

  get root(): string {
    return this.#root;
  }

  async write(name: string, data: string | Uint8Array): Promise<void> {
    const full = resolveInside(this.#root, name);
    await mkdir(path.dirname(full), { recursive: true });
    const tmp = `${full}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, full);
    // Rewriting a file clears an old expiry, as the prototype's fs did.
    const expiry = await this.#expiryTable();
    if (expiry.delete(name)) await this.#saveExpiry();
  }

  async read(name: string): Promise<Uint8Array> {
    const full = resolveInside(this.#root, name);
    if (await this.#isExpired(name)) throw notFound(this.#module, name);
    try {
      return await readFile(full);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR')
        throw notFound(this.#module, name);
      throw e;
    }
  }

  async readText(name: string): Promise<string> {
    return new TextDecoder().decode(await this.read(name));
  }

  async exists(name: string): Promise<boolean> {
    const full = resolveInside(this.#root, name);
    if (await this.#isExpired(name)) return false;
    return stat(full).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  async list(prefix = ''): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const r = rel === '' ? e.name : `${rel}/${e.name}`;
        if (rel === '' && e.name === RESERVED_DIR) continue;
        if (e.isDirectory()) await walk(path.join(dir, e.name), r);
        else if (e.isFile() && !e.name.endsWith('.tmp') && r.startsWith(prefix) && !(await this.#isExpired(r))) out.push(r);
      }
    };
    await walk(this.#root, '');
    return out.sort();
  }

  async delete(name: string): Promise<boolean> {
    const full = resolveInside(this.#root, name);
    const existed = await stat(full).then(
      () => true,
      () => false,
    );
    await rm(full, { force: true });
    const expiry = await this.#expiryTable();
    if (expiry.delete(name)) await this.#saveExpiry();
    return existed;
  }

  async expire(name: string, seconds: number): Promise<void> {
    resolveInside(this.#root, name);
    if (!Number.isFinite(seconds))
      throw new InsightsError('INVALID_ARGUMENT', `expire: seconds must be a finite number, got ${seconds}`, {
        parameter: 'seconds',
      });
    (await this.#expiryTable()).set(name, Date.now() + seconds * 1000);
    await this.#saveExpiry();
  }

  async url(name: string, ttlSeconds = DEFAULT_URL_TTL_SECONDS): Promise<string> {
    resolveInside(this.#root, name);
    return this.#makeUrl(this.#module, name, ttlSeconds);
  }

  /** Deletes every expired file; returns the names deleted. */
  async sweep(nowMs = Date.now()): Promise<string[]> {
    const expiry = await this.#expiryTable();
    const due = [...expiry].filter(([, at]) => at <= nowMs).map(([n]) => n);
    for (const name of due) {
      await rm(resolveInside(this.#root, name), { force: true });
      expiry.delete(name);
    }
    if (due.length > 0) await this.#saveExpiry();
    return due;
  }

  async #isExpired(name: string): Promise<boolean> {
    const at = (await this.#expiryTable()).get(name);
    return at !== undefined && at <= Date.now();
  }

  async #expiryTable(): Promise<Map<string, number>> {
    if (this.#expiry === undefined) {
      const text = await this.#readTable();
      let parsed: Record<string, number> = {};
      try {
        parsed = JSON.parse(text) as Record<string, number>;
      } catch {
        // A damaged table loses expiry times, never files: start a new one.
      }
      this.#expiry ??= new Map(Object.entries(parsed));
    }
    return this.#expiry;
  }

  /** The table's text ('{}' when there is none), at most #maxTableBytes of it. */
  async #readTable(): Promise<string> {
    const file = path.join(this.#root, RESERVED_DIR, EXPIRY_FILE);
    if (this.#maxTableBytes === Infinity) return readFile(file, 'utf8').catch(() => '{}');
    const fh = await open(file, 'r').catch(() => undefined);
    if (fh === undefined) return '{}';
    try {
      // Read past the limit by one byte rather than trust a size the module could change meanwhile.
      const buf = Buffer.allocUnsafe(Math.min(this.#maxTableBytes + 1, (await fh.stat()).size + 1));
      let got = 0;
      for (let n = 1; n > 0 && got < buf.length; got += n) n = (await fh.read(buf, got, buf.length - got)).bytesRead;
      if (got > this.#maxTableBytes)
        throw new InsightsError(
          'RESOURCE_EXHAUSTED',
          `the file expiry table of module ${this.#module} is over the ${this.#maxTableBytes} bytes the node reads`,
        );
      return buf.toString('utf8', 0, got);
    } finally {
      await fh.close();
    }
  }

  #saveExpiry(): Promise<void> {
    // Serialise writers so an older snapshot never overwrites a newer one.
    this.#expiryWrite = this.#expiryWrite.then(async () => {
      const dir = path.join(this.#root, RESERVED_DIR);
      await mkdir(dir, { recursive: true });
      const tmp = path.join(dir, `${EXPIRY_FILE}.${process.pid}.tmp`);
      await writeFile(tmp, JSON.stringify(Object.fromEntries(this.#expiry ?? [])));
      await rename(tmp, path.join(dir, EXPIRY_FILE));
    });
    return this.#expiryWrite;
  }
}

function notFound(module: string, name: string): InsightsError {
  return new InsightsError('NOT_FOUND', `file "${name}" not found in module ${module}`);
}
