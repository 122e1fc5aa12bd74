import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexDef } from './embedded-index.ts';
import { SqliteDatabase } from './sqlite-database.ts';
import { planQuery, type PlannedIndex } from './sqlite-planner.ts';
import { fieldExpr, tableOf } from './sqlite-sql.ts';
import { CollectionStore } from './sqlite-store.ts';

const plain = (spec: Record<string, 1 | -1>, options = {}): PlannedIndex => ({
  def: indexDef(spec, options, 'm.c'),
  plain: true,
});

describe('sqlite planner', () => {
  it('planner - equality, ranges and $in on a plain index become SQL; other fields stay with mingo', () => {
    const p = planQuery({ g: { $in: [1, 2] }, v: { $gt: 20 }, name: 'x' }, undefined, [plain({ g: 1 })]);
    expect(p.where).toEqual([`${fieldExpr('g')} IN (?, ?)`]);
    expect(p.params).toEqual([1, 2]);
    expect(p.orderKey).toBe(fieldExpr('g'));
    const eq = planQuery({ $and: [{ g: 3 }, { g: { $lte: 9 } }] }, undefined, [plain({ g: 1 })]);
    expect(eq.where).toEqual([`${fieldExpr('g')} = ?`, `${fieldExpr('g')} <= ?`]);
  });

  it('planner - an index that has seen arrays, booleans or Dates is not used; Dates and regexes are never pushed down', () => {
    const multikey: PlannedIndex = { ...plain({ g: 1 }), plain: false };
    expect(planQuery({ g: 3 }, { g: 1 }, [multikey])).toMatchObject({ where: [], sortSql: undefined });
    expect(planQuery({ g: new Date(0), h: /x/ }, undefined, [plain({ g: 1 }), plain({ h: 1 })]).where).toEqual([]);
  });

  it('planner - _id equality and $in use the primary key; a one-field sort on a plain index becomes ORDER BY', () => {
    expect(planQuery({ _id: 'a' }, undefined, [])).toMatchObject({ where: ['id = ?'], params: ['sa'] });
    expect(planQuery({ _id: { $in: ['a', 2] } }, undefined, [])).toMatchObject({ where: ['id IN (?, ?)'], params: ['sa', 'n2'] });
    expect(planQuery({}, { at: -1 }, [plain({ at: 1 })]).sortSql).toBe(`${fieldExpr('at')} DESC, rowid ASC`);
    expect(planQuery({}, { at: -1, b: 1 }, [plain({ at: 1 })]).sortSql).toBeUndefined();
  });

  it('planner - a sparse index is used with its partial condition, never for null', () => {
    const sparse = plain({ code: 1 }, { sparse: true });
    expect(planQuery({ code: 'Z' }, undefined, [sparse]).where).toHaveLength(2);
    expect(planQuery({ code: null }, undefined, [sparse]).where).toEqual([]);
  });
});

describe('sqlite planner on a database', () => {
  let dir: string;
  let sqlite: SqliteDatabase;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-planner-'));
    sqlite = new SqliteDatabase({ file: path.join(dir, 'db.sqlite'), name: 'm', cacheSizeKiB: 1024, syncEveryCommit: false });
  });
  afterEach(async () => {
    sqlite.close();
    await rm(dir, { recursive: true, force: true });
  });

  const explain = (store: CollectionStore, filter: object, sort?: Record<string, 1 | -1>): string => {
    const p = store.plan(filter, sort);
    const where = p.where.length > 0 ? p.where.join(' AND ') : '1';
    const order = p.sortSql === undefined ? '' : ` ORDER BY ${p.sortSql}`;
    const rows = sqlite.db.prepare(`EXPLAIN QUERY PLAN SELECT doc FROM ${tableOf('c')} WHERE ${where}${order}`).all(...p.params);
    return (rows as { detail: string }[]).map((r) => r.detail).join('; ');
  };

  it('planner - SQLite searches the expression index, and stops once an array was stored under it', async () => {
    const store = new CollectionStore(sqlite, 'c');
    await store.createIndex(indexDef({ g: 1 }, {}, 'm.c')).durable;
    await store.insert({ _id: 1, g: 5 }).durable;
    expect(explain(store, { g: 5 })).toMatch(/SEARCH .* USING INDEX ix_1/);
    expect(explain(store, {}, { g: 1 })).toMatch(/SCAN .* USING INDEX ix_1/);
    expect(explain(store, { _id: 1 })).toMatch(/USING INDEX sqlite_autoindex/);
    await store.insert({ _id: 2, g: [5, 6] }).durable;
    expect(store.indexes.get('g_1')?.plain).toBe(false);
    expect(explain(store, { g: 5 })).not.toMatch(/ix_1/);
  });
});
