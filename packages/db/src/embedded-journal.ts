/**
 * An append-only journal file with group commit: lines appended while a flush is running wait for
 * the next one, so N concurrent writes cost one write + one fdatasync. A line's promise resolves
 * only after its bytes are synced. One loop does every file operation, in order, so rotation and
 * close never overtake a pending write.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DbError, messageOf } from './errors.ts';

type Op = { kind: 'line'; text: string } | { kind: 'rotate' | 'close' | 'sync'; path: string };
type Item = Op & { resolve: () => void; reject: (e: unknown) => void };

/** fsync a directory so a newly created entry in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(dir, 'r');
  } catch (e) {
    // A module sandbox may not open the shared db root (Node's permission model); its host
    // created and synced the module's own folder in it before starting the sandbox.
    if ((e as NodeJS.ErrnoException).code === 'ERR_ACCESS_DENIED') return;
    throw e;
  }
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

export class Journal {
  #path: string;
  #fh: FileHandle | undefined;
  #queue: Item[] = [];
  #draining = false;
  #failed: DbError | undefined;
  #bytes: number;
  /** Directories to sync after creating the first file (the collection dir and its parents). */
  readonly #syncDirs: readonly string[];

  /** 0: sync before acknowledging; N: acknowledge once written, sync within N ms. */
  readonly #syncIntervalMs: number;
  #syncTimer: NodeJS.Timeout | undefined;

  constructor(file: string, existingBytes: number, syncDirs: readonly string[], syncIntervalMs = 0) {
    this.#path = file;
    this.#bytes = existingBytes;
    this.#syncDirs = syncDirs;
    this.#syncIntervalMs = syncIntervalMs;
  }

  get path(): string {
    return this.#path;
  }

  /** Bytes in the current file, including lines not yet synced. */
  get bytes(): number {
    return this.#bytes;
  }

  get failed(): DbError | undefined {
    return this.#failed;
  }

  /** Appends one record (no newline inside); resolves once it is on disk. */
  append(text: string): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    this.#bytes += Buffer.byteLength(text) + 1;
    return this.#enqueue({ kind: 'line', text });
  }

  /** Later appends go to `file`; resolves once earlier ones are synced and the old file closed. */
  rotate(file: string): Promise<void> {
    this.#bytes = 0;
    return this.#enqueue({ kind: 'rotate', path: file });
  }

  close(): Promise<void> {
    return this.#enqueue({ kind: 'close', path: this.#path });
  }

  #enqueue(op: Op): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ...op, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        // Start after the current tick, so every append made in it (insertMany) shares one sync.
        queueMicrotask(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0] as Item;
        if (head.kind === 'sync') {
          this.#queue.shift();
          this.#syncTimer = undefined;
          await (this.#fh?.datasync() ?? Promise.resolve()).then(head.resolve, head.reject);
          continue;
        }
        if (head.kind !== 'line') {
          this.#queue.shift();
          await this.#closeFile().then(head.resolve, head.reject);
          if (head.kind === 'rotate') this.#path = head.path;
          continue;
        }
        const batch: Item[] = [];
        while (this.#queue[0]?.kind === 'line') batch.push(this.#queue.shift() as Item);
        try {
          if (this.#failed) throw this.#failed;
          const fh = this.#fh ?? (await this.#openFile());
          await writeAll(fh, Buffer.from(batch.map((l) => (l.kind === 'line' ? `${l.text}\n` : '')).join('')));
          // Written: the bytes are in the operating system and survive the process being killed.
          if (this.#syncIntervalMs === 0) await fh.datasync();
          else
            this.#syncTimer ??= setTimeout(
              () => this.#enqueue({ kind: 'sync', path: this.#path }).catch(() => {}),
              this.#syncIntervalMs,
            );
          for (const l of batch) l.resolve();
        } catch (err) {
          this.#failed ??= new DbError('DB_IO_ERROR', `Cannot write journal ${this.#path}: ${messageOf(err)}`, {
            file: this.#path,
            cause: err,
          });
          for (const l of batch) l.reject(this.#failed);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #openFile(): Promise<FileHandle> {
    const dir = path.dirname(this.#path);
    await mkdir(dir, { recursive: true });
    const fh = await open(this.#path, 'a');
    this.#fh = fh;
    // The file (and maybe its directories) may be new: make their entries durable too.
    for (const d of [dir, ...this.#syncDirs]) await syncDir(d);
    return fh;
  }

  async #closeFile(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    if (this.#syncTimer !== undefined) {
      clearTimeout(this.#syncTimer);
      this.#syncTimer = undefined;
    }
    if (fh && this.#syncIntervalMs > 0) await fh.datasync();
    if (fh) await fh.close();
  }
}
