import { randomUUID } from 'node:crypto';
import { InsightsError, type Db } from '@insights/sdk';
import { DEFAULT_URL_TTL_SECONDS, type FileUrlMaker, type StoredModuleFiles } from './files.ts';
import { normaliseFileName } from './safe-path.ts';

/** One document per file: which version of the chunks is current, and when the file expires. */
export const FILES_COLLECTION = '_insights_files';
/** The bytes, in chunks of one version of one file. */
export const CHUNKS_COLLECTION = '_insights_file_chunks';
/** GridFS's chunk size: far below MongoDB's 16 MiB document limit, even as base64. */
const CHUNK_BYTES = 255 * 1024;
/** Chunks per insert: one crossing of a sandbox's channel carries 2.8 MB (under its 4 MiB per message: channel-limits.ts). */
const CHUNKS_PER_INSERT = 8;

interface FileDoc {
  _id: string;
  version: string;
  size: number;
  chunks: number;
  /** Epoch ms; absent: never expires. */
  expiresAt?: number | null;
}

interface ChunkDoc {
  _id: string;
  version: string;
  n: number;
  /** base64: the module's Db carries JSON documents on every engine and across the sandbox channel. */
  data: string;
}

/**
 * A module's files in its own database, for nodes whose database every replica shares
 * (MongoDB): a signed URL made on one replica is served by any. The bytes are chunk documents in
 * the module's database rather than GridFS because the store goes through the module's `Db`: in
 * a sandbox that is the node's broker on the module's own database, so a module reaches only its
 * own files whatever its isolation. A write stores a new version's chunks first and then points
 * the file at them, so a reader sees the old bytes or the new, never a mix.
 */
export class DbModuleFiles implements StoredModuleFiles {
  readonly #module: string;
  readonly #db: Db;
  readonly #makeUrl: FileUrlMaker;

  constructor(module: string, db: Db, makeUrl: FileUrlMaker) {
    this.#module = module;
    this.#db = db;
    this.#makeUrl = makeUrl;
  }

  async write(name: string, data: string | Uint8Array): Promise<void> {
    const key = normaliseFileName(name);
    const bytes =
      typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const version = randomUUID();
    const chunks: ChunkDoc[] = [];
    for (let n = 0, at = 0; at < bytes.length; n++, at += CHUNK_BYTES)
      chunks.push({ _id: `${version}:${n}`, version, n, data: bytes.subarray(at, at + CHUNK_BYTES).toString('base64') });
    for (let i = 0; i < chunks.length; i += CHUNKS_PER_INSERT)
      await this.#chunks().insertMany(chunks.slice(i, i + CHUNKS_PER_INSERT));
    // Rewriting a file clears an old expiry, as on disk.
    const before = await this.#files().findOneAndUpdate(
      { _id: key },
      { $set: { version, size: bytes.length, chunks: chunks.length, expiresAt: null } },
      { upsert: true, returnDocument: 'before' },
    );
    if (before !== null) await this.#chunks().deleteMany({ version: before.version });
  }

  async read(name: string): Promise<Uint8Array> {
    const key = normaliseFileName(name);
    // A rewrite between reading the file and its chunks removes the old chunks: read again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const file = await this.#live(key);
      if (file === undefined) throw notFound(this.#module, name);
      const parts = await this.#chunks().find({ version: file.version }).sort({ n: 1 }).toArray();
      if (parts.length === file.chunks) return Buffer.concat(parts.map((c) => Buffer.from(c.data, 'base64')));
    }
    throw new InsightsError('UNAVAILABLE', `file "${name}" of module ${this.#module} kept changing while it was read`);
  }

  async readText(name: string): Promise<string> {
    return new TextDecoder().decode(await this.read(name));
  }

  async exists(name: string): Promise<boolean> {
    return (await this.#live(normaliseFileName(name))) !== undefined;
  }

  async list(prefix = ''): Promise<string[]> {
    const now = Date.now();
    const docs = await this.#files()
      .find({}, { projection: { _id: 1, expiresAt: 1 } })
      .toArray();
    return docs
      .filter((d) => d._id.startsWith(prefix) && !isExpired(d, now))
      .map((d) => d._id)
      .sort();
  }

  async delete(name: string): Promise<boolean> {
    const file = await this.#files().findOneAndDelete({ _id: normaliseFileName(name) });
    if (file === null) return false;
    await this.#chunks().deleteMany({ version: file.version });
    return true;
  }

  async expire(name: string, seconds: number): Promise<void> {
    const key = normaliseFileName(name);
    if (!Number.isFinite(seconds))
      throw new InsightsError('INVALID_ARGUMENT', `expire: seconds must be a finite number, got ${seconds}`, {
        parameter: 'seconds',
      });
    await this.#files().updateOne({ _id: key }, { $set: { expiresAt: Date.now() + seconds * 1000 } });
  }

  async url(name: string, ttlSeconds = DEFAULT_URL_TTL_SECONDS): Promise<string> {
    return this.#makeUrl(this.#module, normaliseFileName(name), ttlSeconds);
  }

  /** Deletes every expired file; returns the names deleted. Replicas may sweep at once: each file goes once. */
  async sweep(nowMs = Date.now()): Promise<string[]> {
    const due = await this.#files()
      .find({ expiresAt: { $lte: nowMs } }, { projection: { _id: 1 } })
      .toArray();
    const deleted: string[] = [];
    for (const { _id } of due) {
      const file = await this.#files().findOneAndDelete({ _id, expiresAt: { $lte: nowMs } });
      if (file === null) continue; // another replica swept it, or it was rewritten meanwhile
      await this.#chunks().deleteMany({ version: file.version });
      deleted.push(_id);
    }
    return deleted;
  }

  async #live(key: string): Promise<FileDoc | undefined> {
    const file = await this.#files().findOne({ _id: key });
    return file === null || isExpired(file, Date.now()) ? undefined : file;
  }

  #files() {
    return this.#db.collection<FileDoc>(FILES_COLLECTION);
  }

  #chunks() {
    return this.#db.collection<ChunkDoc>(CHUNKS_COLLECTION);
  }
}

function isExpired(file: Pick<FileDoc, 'expiresAt'>, nowMs: number): boolean {
  return typeof file.expiresAt === 'number' && file.expiresAt <= nowMs;
}

function notFound(module: string, name: string): InsightsError {
  return new InsightsError('NOT_FOUND', `file "${name}" not found in module ${module}`);
}
