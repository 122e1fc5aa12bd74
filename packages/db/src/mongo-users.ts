/**
 * One MongoDB user per module, with the readWrite role on that module's database only, so a
 * module's connection cannot read or change another module's data. Credentials come from the
 * node config per module, or the node provisions them: with an account allowed to manage users it
 * creates (or updates) user `<database>` with a password derived from a secret, on first use.
 */
import { createHmac } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { DbError } from './errors.ts';
import { mongoCall } from './mongo-errors.ts';

export interface MongoCredentials {
  readonly username: string;
  readonly password: string;
}

export interface MongoModuleAuth {
  /** Credentials per module name (users an operator created, see deploy/mongodb). */
  readonly users?: Readonly<Record<string, MongoCredentials>> | undefined;
  /**
   * An account with the userAdmin role over the module databases (e.g. userAdminAnyDatabase),
   * used to create the users of modules not listed in `users`; their passwords are
   * HMAC-SHA256(secret, database name), so every node of a mesh derives the same ones.
   */
  readonly provision?: (MongoCredentials & { readonly authSource?: string; readonly secret: string }) | undefined;
}

/** MongoDB's code for "user already exists". */
const USER_EXISTS = 51003;
/** "Not implemented": FerretDB 1.x refuses roles (it authenticates users but has no authorization). */
const NOT_IMPLEMENTED = 238;

export function derivedPassword(secret: string, dbName: string): string {
  return createHmac('sha256', secret).update(dbName).digest('hex');
}

/** The credentials module `name` connects with (its user is named after its database). */
export function moduleCredentials(
  auth: MongoModuleAuth,
  name: string,
  dbName: string,
): MongoCredentials & { provisioned: boolean } {
  const given = auth.users?.[name];
  if (given !== undefined) return { ...given, provisioned: false };
  if (auth.provision !== undefined) {
    return { username: dbName, password: derivedPassword(auth.provision.secret, dbName), provisioned: true };
  }
  throw new DbError(
    'DB_INVALID_OPTIONS',
    `No MongoDB user for module ${name}: add it to db.users or give db.provision (see deploy/mongodb/README.md).`,
  );
}

/** Creates (or resets the password and role of) the module's user, through the provisioning account. */
export async function provisionUser(admin: MongoClient, dbName: string, creds: MongoCredentials): Promise<void> {
  const db = admin.db(dbName);
  const upsertUser = async (roles: object[]): Promise<void> => {
    try {
      await db.command({ createUser: creds.username, pwd: creds.password, roles });
    } catch (err) {
      if ((err as { code?: unknown }).code !== USER_EXISTS) throw err;
      await db.command({ updateUser: creds.username, pwd: creds.password, roles });
    }
  };
  await mongoCall('admin', dbName, async () => {
    try {
      await upsertUser([{ role: 'readWrite', db: dbName }]);
    } catch (err) {
      // FerretDB: the user still authenticates; that server cannot confine it to one database.
      if ((err as { code?: unknown }).code !== NOT_IMPLEMENTED) throw err;
      await upsertUser([]);
    }
  });
}
