/**
 * The per-module database provider: each module gets its own `Db`, on the embedded engine
 * (default; files under `dir/<module>/`) or on MongoDB (database `<dbPrefix><module>`).
 */
import type { Db } from '@insights/sdk';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { AggregateOffload } from './aggregate-offload.ts';
import { EmbeddedDb } from './embedded-db.ts';
import { DbError } from './errors.ts';
import { mapMongoError } from './mongo-errors.ts';
import { MongoDbAdapter } from './mongo-db.ts';
import { moduleCredentials, provisionUser, type MongoModuleAuth } from './mongo-users.ts';
import { checkModuleName } from './names.ts';

export { DbError, isDbError, DB_ERROR_CODES } from './errors.ts';
export { enableLinearRegExp } from './linear-regex.ts';
export type { DbErrorFields } from './errors.ts';
export type { MongoCredentials, MongoModuleAuth } from './mongo-users.ts';

/** The aggregation worker's entry (TypeScript): bundle it to plain JavaScript for `aggregateWorker`. */
export const AGGREGATE_WORKER_ENTRY = new URL('./aggregate-worker-main.ts', import.meta.url);

export const DEFAULT_DB_PREFIX = 'insights_';
/** MongoDB database names are limited to 63 bytes. */
const MAX_MONGO_DB_NAME = 63;

export type DbProviderOptions =
  | {
      kind: 'embedded';
      /** Root directory; module `m` lives in `<dir>/m/db.sqlite`. */
      dir: string;
      /**
       * SQLite page cache per module database in KiB (default 4096). With the rows of the
       * running query, this is what the engine keeps in memory, whatever the data size.
       */
      cacheSizeKiB?: number;
      /**
       * 0: every commit is fsynced before writes are acknowledged (survives power loss). Any
       * other value (default): WAL with synchronous=NORMAL: acknowledged writes are in the
       * operating system (they survive kill -9 of the process); an OS crash or power loss can
       * lose the last commits before SQLite's next checkpoint.
       */
      syncIntervalMs?: number;
      /**
       * The aggregation worker's script (plain JavaScript bundled from AGGREGATE_WORKER_ENTRY):
       * aggregations that hold their input (`$group`, `$sort`, ...) then run in a worker thread,
       * bounded in time and memory, instead of on this thread. Unset: they run here.
       */
      aggregateWorker?: () => Promise<string>;
    }
  | {
      kind: 'mongodb';
      /** `mongodb://` or `mongodb+srv://` connection string. */
      url: string;
      /** Database name prefix (default `insights_`): module `m` uses `<dbPrefix>m`. */
      dbPrefix?: string;
      /** Passed to the driver's MongoClient (timeouts, TLS, pool size...). */
      clientOptions?: MongoClientOptions;
      /**
       * One user per module (readWrite on its own database only), each with its own connection
       * pool. Without it, every module uses the URL's credentials.
       */
      auth?: MongoModuleAuth;
    };

export interface DbProvider {
  /** The module's database (the same object for repeated calls). Rejects unsafe names. */
  forModule(moduleName: string): Promise<Db>;
  /** Waits for pending writes, then releases files or connections. */
  close(): Promise<void>;
}

function invalid(message: string): DbError {
  return new DbError('DB_INVALID_OPTIONS', message);
}

function closedError(): DbError {
  return new DbError('DB_CLOSED', 'The database provider was closed.');
}

export function createDbProvider(options: DbProviderOptions): DbProvider {
  if (typeof options !== 'object' || options === null) throw invalid('createDbProvider needs an options object.');
  switch (options.kind) {
    case 'embedded':
      if (typeof options.dir !== 'string' || options.dir === '') throw invalid('Embedded db needs a "dir".');
      if (options.cacheSizeKiB !== undefined && !(Number.isInteger(options.cacheSizeKiB) && options.cacheSizeKiB >= 64)) {
        throw invalid('"cacheSizeKiB" must be an integer of at least 64 (KiB).');
      }
      return embeddedProvider(options);
    case 'mongodb': {
      if (typeof options.url !== 'string' || !/^mongodb(\+srv)?:\/\//.test(options.url)) {
        throw invalid('MongoDB db needs a "url" starting with mongodb:// or mongodb+srv://.');
      }
      const prefix = options.dbPrefix ?? DEFAULT_DB_PREFIX;
      if (!/^[A-Za-z0-9_-]*$/.test(prefix)) throw invalid(`"dbPrefix" ${JSON.stringify(prefix)} may use only A-Z a-z 0-9 _ -.`);
      const auth = options.auth;
      if (auth?.provision !== undefined && !(typeof auth.provision.secret === 'string' && auth.provision.secret.length >= 16)) {
        throw invalid('"auth.provision.secret" must be a string of at least 16 characters.');
      }
      return mongoProvider(options.url, prefix, options.clientOptions ?? {}, auth);
    }
    default:
      throw invalid(`Unknown db kind ${JSON.stringify((options as { kind?: unknown }).kind)}: use "embedded" or "mongodb".`);
  }
}

function embeddedProvider(o: Extract<DbProviderOptions, { kind: 'embedded' }>): DbProvider {
  const { dir, cacheSizeKiB, syncIntervalMs } = o;
  const offload = o.aggregateWorker === undefined ? undefined : new AggregateOffload({ workerFile: o.aggregateWorker });
  const dbs = new Map<string, EmbeddedDb>();
  let closed = false;
  return {
    forModule(moduleName) {
      if (closed) return Promise.reject(closedError());
      try {
        const name = checkModuleName(moduleName);
        let db = dbs.get(name);
        if (db === undefined) dbs.set(name, (db = new EmbeddedDb({ root: dir, name, cacheSizeKiB, syncIntervalMs, offload })));
        return Promise.resolve(db);
      } catch (err) {
        return Promise.reject(err as Error);
      }
    },
    async close() {
      closed = true;
      await offload?.close();
      await Promise.all([...dbs.values()].map((db) => db.close()));
      dbs.clear();
    },
  };
}

/** A connection made once on first use; a failed attempt is not cached, so the next call tries again. */
function lazyClient(make: () => MongoClient): { get(): Promise<MongoClient>; close(): Promise<void> } {
  let client: Promise<MongoClient> | undefined;
  return {
    get() {
      if (client === undefined) {
        const attempt = make().connect();
        client = attempt;
        attempt.catch(() => {
          if (client === attempt) client = undefined;
        });
      }
      return client;
    },
    async close() {
      const c = await client?.catch(() => undefined);
      client = undefined;
      await c?.close();
    },
  };
}

function mongoProvider(
  url: string,
  prefix: string,
  clientOptions: MongoClientOptions,
  auth: MongoModuleAuth | undefined,
): DbProvider {
  let closed = false;
  const dbs = new Map<string, Promise<MongoDbAdapter>>();
  const shared = lazyClient(() => new MongoClient(url, clientOptions));
  const perModule: { close(): Promise<void> }[] = [];
  const admin =
    auth?.provision === undefined
      ? undefined
      : lazyClient(
          () =>
            new MongoClient(url, {
              ...clientOptions,
              auth: { username: auth.provision!.username, password: auth.provision!.password },
              authSource: auth.provision!.authSource ?? 'admin',
            }),
        );

  const open = async (name: string, dbName: string): Promise<MongoDbAdapter> => {
    try {
      if (auth === undefined) return new MongoDbAdapter((await shared.get()).db(dbName));
      const creds = moduleCredentials(auth, name, dbName);
      if (creds.provisioned && admin !== undefined) await provisionUser(await admin.get(), dbName, creds);
      const own = lazyClient(
        () =>
          new MongoClient(url, {
            ...clientOptions,
            auth: { username: creds.username, password: creds.password },
            authSource: dbName,
          }),
      );
      perModule.push(own);
      return new MongoDbAdapter((await own.get()).db(dbName));
    } catch (err) {
      throw err instanceof DbError ? err : mapMongoError(err, 'admin', dbName);
    }
  };

  return {
    async forModule(moduleName) {
      if (closed) throw closedError();
      const name = checkModuleName(moduleName);
      const dbName = `${prefix}${name}`;
      if (dbName.length > MAX_MONGO_DB_NAME) {
        throw new DbError(
          'DB_INVALID_NAME',
          `Database name ${dbName} is over ${MAX_MONGO_DB_NAME} characters; shorten the module name or dbPrefix.`,
        );
      }
      let db = dbs.get(name);
      if (db === undefined) {
        const attempt = open(name, dbName);
        dbs.set(name, (db = attempt));
        attempt.catch(() => {
          if (dbs.get(name) === attempt) dbs.delete(name);
        });
      }
      return db;
    },
    async close() {
      closed = true;
      dbs.clear();
      await Promise.all([shared.close(), admin?.close(), ...perModule.map((c) => c.close())]);
    },
  };
}
