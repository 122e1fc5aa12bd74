import type { DbErrorCode } from '@insights/sdk';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DB_ERROR_CODES, DbError, isDbError } from './errors.ts';
import { createDbProvider } from './index.ts';
import { checkCollectionName, collectionDirName, collectionFromDirName } from './names.ts';

describe('db errors', () => {
  it('errors - the code list is complete and stable', () => {
    expect(Object.keys(DB_ERROR_CODES).sort()).toEqual([
      'DB_AGGREGATION_TOO_COSTLY',
      'DB_BACKEND_ERROR',
      'DB_CLOSED',
      'DB_CORRUPT_JOURNAL',
      'DB_CORRUPT_SNAPSHOT',
      'DB_CURSOR_IN_USE',
      'DB_DOCUMENT_TOO_LARGE',
      'DB_DUPLICATE_KEY',
      'DB_EXPRESSION_TOO_LARGE',
      'DB_INDEX_NOT_FOUND',
      'DB_INVALID_DOCUMENT',
      'DB_INVALID_FILTER',
      'DB_INVALID_INDEX',
      'DB_INVALID_NAME',
      'DB_INVALID_OPTIONS',
      'DB_INVALID_PIPELINE',
      'DB_INVALID_UPDATE',
      'DB_IO_ERROR',
      'DB_LOCKED',
      'DB_LOOKUP_TOO_LARGE',
      'DB_NODE_MEMORY',
      'DB_SORT_TOO_LARGE',
      'DB_TIMEOUT',
      'DB_UNAVAILABLE',
      'DB_UNSUPPORTED',
    ]);
    expectTypeOf<keyof typeof DB_ERROR_CODES>().toEqualTypeOf<DbErrorCode>();
  });

  it('errors - DbError has a literal name, a code, fields and a cause; guards check the code', () => {
    const cause = new Error('disk');
    const err = new DbError('DB_IO_ERROR', 'cannot write', { file: '/x', cause });
    expect(err).toMatchObject({ name: 'DbError', code: 'DB_IO_ERROR', file: '/x', cause });
    expect(isDbError(err, 'DB_IO_ERROR')).toBe(true);
    expect(isDbError(err, 'DB_CLOSED')).toBe(false);
    // Another copy of the class (or a structured clone) still passes: only name and code matter.
    expect(isDbError({ name: 'DbError', code: 'DB_CLOSED', message: 'x' })).toBe(true);
    expect(isDbError({ name: 'DbError', code: 'NOT_A_CODE' })).toBe(false);
    expect(isDbError(new Error('x'))).toBe(false);
  });

  it('errors - module names are checked by the provider', async () => {
    const provider = createDbProvider({ kind: 'embedded', dir: '/nonexistent-insights-db' });
    for (const bad of ['', 'Upper', '../x', 'a/b', 'a.b', 'x'.repeat(65)]) {
      await expect(provider.forModule(bad)).rejects.toMatchObject({ code: 'DB_INVALID_NAME' });
    }
    await provider.close();
    await expect(provider.forModule('ok')).rejects.toMatchObject({ code: 'DB_CLOSED' });
  });

  it('errors - provider options are validated', () => {
    expect(() => createDbProvider({ kind: 'embedded', dir: '' })).toThrow(
      expect.objectContaining({ code: 'DB_INVALID_OPTIONS' }),
    );
    expect(() => createDbProvider({ kind: 'mongodb', url: 'http://x' })).toThrow(
      expect.objectContaining({ code: 'DB_INVALID_OPTIONS' }),
    );
    expect(() => createDbProvider({ kind: 'mongodb', url: 'mongodb://x', dbPrefix: 'a.b' })).toThrow(
      expect.objectContaining({ code: 'DB_INVALID_OPTIONS' }),
    );
  });

  it('names - collection names map to safe, reversible directory names', () => {
    for (const name of ['events', 'events.raw', 'a/b', 'x..y', 'ünï', 'with space', '%41']) {
      checkCollectionName(name);
      const dirName = collectionDirName(name);
      expect(dirName).toMatch(/^[A-Za-z0-9_%-]+$/);
      expect(collectionFromDirName(dirName)).toBe(name);
    }
    expect(collectionFromDirName('.hidden')).toBeUndefined();
  });
});
