import { describe, expect, it } from 'vitest';
import { indexDef, MemIndex } from './embedded-index.ts';
import { plan } from './embedded-planner.ts';

const byG = new MemIndex(indexDef({ g: 1 }, undefined, 'db.c'));
const byEmail = new MemIndex(indexDef({ email: 1 }, { unique: true }, 'db.c'));
const byPair = new MemIndex(indexDef({ a: 1, b: 1 }, undefined, 'db.c'));
const indexes = [byG, byEmail, byPair];

describe('embedded planner', () => {
  it('planner - _id equality reads the id map, exactly when it is the only condition', () => {
    expect(plan({ _id: 'x' }, indexes)).toMatchObject({ source: 'id', exact: true });
    expect(plan({ _id: { $in: ['x', 'y'] } }, indexes)).toMatchObject({ source: 'id', exact: true });
    expect(plan({ _id: 'x', v: 1 }, indexes)).toMatchObject({ source: 'id', exact: false });
    expect(plan({ _id: { $gt: 'x' } }, indexes)).toMatchObject({ source: 'scan' });
  });

  it('planner - equality on indexed fields uses the index, preferring unique ones', () => {
    expect(plan({ g: 3 }, indexes)).toMatchObject({ source: 'index', index: byG, exact: true });
    expect(plan({ g: 3, email: 'a' }, indexes)).toMatchObject({ source: 'index', index: byEmail, exact: false });
    expect(plan({ a: 1, b: { $in: [1, 2] } }, indexes)).toMatchObject({ source: 'index', index: byPair, exact: true });
    expect(plan({ a: 1 }, indexes)).toMatchObject({ source: 'scan' });
    expect(plan({ g: { $in: [1, 2] }, v: { $gt: 1 } }, indexes)).toMatchObject({ source: 'index', index: byG, exact: false });
  });

  it('planner - null, ranges, regexes, arrays and objects scan', () => {
    for (const filter of [{ g: null }, { g: { $gt: 1 } }, { g: /x/ }, { g: [1, 2] }, { g: { x: 1 } }, { $or: [{ g: 1 }] }, {}]) {
      expect(plan(filter, indexes).source).toBe('scan');
    }
  });

  it('index - keys fan out over arrays, compound keys multiply, sparse skips missing fields', () => {
    expect(byG.keysOf({ g: [1, 2, 2] })).toHaveLength(2);
    expect(byPair.keysOf({ a: [1, 2], b: [3, 4] })).toHaveLength(4);
    expect(byG.keysOf({})).toHaveLength(1); // missing is indexed as null
    const sparse = new MemIndex(indexDef({ g: 1 }, { sparse: true }, 'db.c'));
    expect(sparse.keysOf({})).toEqual([]);
  });
});
