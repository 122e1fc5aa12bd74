/** The driver-error mapping, on error objects shaped like the driver's (no server involved). */
import { MongoInvalidArgumentError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { createDbProvider } from './index.ts';
import { mapMongoError } from './mongo-errors.ts';

describe('mongo error mapping', () => {
  it('mongo - server codes map to DbError codes by operation', () => {
    const dup = new MongoServerError({
      code: 11000,
      errmsg: 'E11000 duplicate key error collection: insights_m.users index: email_1 dup key: { email: "a@x" }',
      keyValue: { email: 'a@x' },
    });
    expect(mapMongoError(dup, 'insert', 'insights_m.users')).toMatchObject({
      code: 'DB_DUPLICATE_KEY',
      index: 'email_1',
      key: { email: 'a@x' },
      namespace: 'insights_m.users',
    });
    const bad = new MongoServerError({ code: 2, errmsg: 'unknown operator: $bogus' });
    expect(mapMongoError(bad, 'read', 'n').code).toBe('DB_INVALID_FILTER');
    expect(mapMongoError(bad, 'update', 'n').code).toBe('DB_INVALID_UPDATE');
    expect(
      mapMongoError(new MongoServerError({ code: 40324, errmsg: 'Unrecognized pipeline stage' }), 'aggregate', 'n').code,
    ).toBe('DB_INVALID_PIPELINE');
    expect(mapMongoError(new MongoServerError({ code: 27, errmsg: 'index not found' }), 'index', 'n').code).toBe(
      'DB_INDEX_NOT_FOUND',
    );
    expect(mapMongoError(new MongoServerError({ code: 13, errmsg: 'unauthorized' }), 'read', 'n').code).toBe('DB_BACKEND_ERROR');
  });

  it('mongo - driver errors map by name', () => {
    expect(
      mapMongoError(new MongoServerSelectionError('timed out', { type: 'Unknown', servers: new Map() } as never), 'read', 'n')
        .code,
    ).toBe('DB_UNAVAILABLE');
    expect(mapMongoError(new MongoInvalidArgumentError('Update document requires atomic operators'), 'update', 'n').code).toBe(
      'DB_INVALID_UPDATE',
    );
    expect(mapMongoError(new Error('weird'), 'read', 'n').code).toBe('DB_BACKEND_ERROR');
  });

  it('mongo - a server that cannot be reached is DB_UNAVAILABLE (a real refused connection)', async () => {
    const provider = createDbProvider({
      kind: 'mongodb',
      url: 'mongodb://127.0.0.1:1/?directConnection=true',
      clientOptions: { serverSelectionTimeoutMS: 300 },
    });
    try {
      await expect(provider.forModule('m')).rejects.toMatchObject({ name: 'DbError', code: 'DB_UNAVAILABLE' });
    } finally {
      await provider.close();
    }
  });
});
