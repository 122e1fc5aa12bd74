/**
 * One MongoDB user per module, provisioned by the node. Runs against FerretDB with
 * authentication on (users are created and enforced; FerretDB 1.x has no roles, so the
 * one-database confinement is asserted only on a real MongoDB: set MONGODB_URL together with
 * MONGODB_PROVISION_USER and MONGODB_PROVISION_PASSWORD, an account with userAdminAnyDatabase).
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDbError } from './conformance-helpers.ts';
import { ferretDbBinary, startFerretDb, type FerretDb } from './ferretdb-server.ts';
import { createDbProvider, type DbProvider } from './index.ts';
import { derivedPassword } from './mongo-users.ts';

const realUrl = process.env['MONGODB_URL'] || undefined;
const realAdmin =
  realUrl !== undefined && process.env['MONGODB_PROVISION_USER']
    ? { username: process.env['MONGODB_PROVISION_USER'], password: process.env['MONGODB_PROVISION_PASSWORD'] ?? '' }
    : undefined;
const SECRET = 'a-secret-of-enough-length';
const canRun = realAdmin !== undefined || (realUrl === undefined && ferretDbBinary() !== undefined);

describe.skipIf(!canRun)('mongodb users per module', () => {
  let ferret: FerretDb | undefined;
  let url: string;
  let admin: { username: string; password: string };
  const prefix = `insights_users_${randomBytes(3).toString('hex')}_`;
  let provider: DbProvider;

  beforeAll(async () => {
    if (realAdmin !== undefined && realUrl !== undefined) {
      url = realUrl;
      admin = realAdmin;
    } else {
      admin = { username: 'root', password: 'root-password' };
      ferret = await startFerretDb({ admin });
      url = ferret.url;
    }
    provider = createDbProvider({
      kind: 'mongodb',
      url,
      dbPrefix: prefix,
      clientOptions: { serverSelectionTimeoutMS: 5000 },
      auth: { provision: { ...admin, secret: SECRET } },
    });
  });
  afterAll(async () => {
    await provider?.close();
    await ferret?.stop();
  });

  const connectAs = (username: string, password: string, authSource: string): Promise<MongoClient> =>
    new MongoClient(url, { auth: { username, password }, authSource, serverSelectionTimeoutMS: 5000 }).connect();

  it('users - the node creates a user per module and the module works through it', async () => {
    const grades = await provider.forModule('grades');
    await grades.collection('g').insertOne({ _id: 'x', v: 1 });
    expect(await grades.collection('g').findOne({ _id: 'x' })).toEqual({ _id: 'x', v: 1 });
    // The user exists with the derived password, and only that password opens it.
    const dbName = `${prefix}grades`;
    const own = await connectAs(dbName, derivedPassword(SECRET, dbName), dbName);
    expect(await own.db(dbName).collection('g').countDocuments()).toBe(1);
    await own.close();
    await expect(connectAs(dbName, 'wrong', dbName)).rejects.toMatchObject({ code: 18 });
    // Provisioning again (another node, a restart) keeps the same user working.
    const again = createDbProvider({ kind: 'mongodb', url, dbPrefix: prefix, auth: { provision: { ...admin, secret: SECRET } } });
    expect(await (await again.forModule('grades')).collection('g').countDocuments()).toBe(1);
    await again.close();
  });

  it('users - a module without credentials is refused with a clear error; explicit users are used as given', async () => {
    const strict = createDbProvider({ kind: 'mongodb', url, dbPrefix: prefix, auth: { users: {} } });
    const err = await expectDbError(strict.forModule('stray'), 'DB_INVALID_OPTIONS');
    expect(err.message).toContain('stray');
    await strict.close();
    const dbName = `${prefix}grades`;
    const explicit = createDbProvider({
      kind: 'mongodb',
      url,
      dbPrefix: prefix,
      auth: { users: { grades: { username: dbName, password: 'not-the-password' } } },
      clientOptions: { serverSelectionTimeoutMS: 3000 },
    });
    const refused = await expectDbError(explicit.forModule('grades'), 'DB_INVALID_OPTIONS');
    expect(refused.message).toContain('refused the credentials');
    await explicit.close();
  });

  it.skipIf(realAdmin === undefined)('users - a module user cannot read another module database (MongoDB only)', async () => {
    const a = await provider.forModule('alpha');
    await (await provider.forModule('beta')).collection('s').insertOne({ secret: 1 });
    await a.collection('t').insertOne({ mine: 1 });
    const alphaDb = `${prefix}alpha`;
    const c = await connectAs(alphaDb, derivedPassword(SECRET, alphaDb), alphaDb);
    await expect(c.db(`${prefix}beta`).collection('s').findOne({})).rejects.toMatchObject({ code: 13 });
    await c.close();
  });
});
