import { describe, expect, it } from 'vitest';
import { assertReadStatement } from './read-only-guard.ts';

describe('assertReadStatement', () => {
  it.each([
    'SELECT 1',
    '  -- why\n select * from t',
    '/* c */ WITH x AS (SELECT 1) SELECT * FROM x',
    'show tables',
    'EXPLAIN SELECT 1',
  ])('accepts the read %j', (s) => expect(() => assertReadStatement('lms', s)).not.toThrow());

  it.each([
    ['INSERT INTO t VALUES (1)', 'INSERT'],
    ['/* hide */ DROP TABLE t', 'DROP'],
    ['# mysql comment\nDELETE FROM t', 'DELETE'],
    ['', 'an empty statement'],
    ['SELECT * FROM t INTO OUTFILE "/tmp/x"', 'INTO OUTFILE'],
    ['SELECT * FROM t FOR UPDATE', 'FOR UPDATE'],
  ])('refuses %j, naming %s', (s, named) => {
    expect(() => assertReadStatement('lms', s)).toThrow(
      expect.objectContaining({ code: 'PERMISSION_DENIED', message: expect.stringContaining(named) }),
    );
  });
});
