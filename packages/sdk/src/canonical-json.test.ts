import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';

/** The definition, written the slow and obvious way: event ids depend on matching it forever. */
function reference(v: unknown): string | undefined {
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (v === null || typeof v !== 'object' || v instanceof Date) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => reference(x) ?? 'null').join(',')}]`;
  const members = Object.keys(v)
    .sort()
    .flatMap((k) => {
      const s = reference((v as Record<string, unknown>)[k]);
      return s === undefined ? [] : [`${JSON.stringify(k)}:${s}`];
    });
  return `{${members.join(',')}}`;
}

const same = (v: unknown) => expect(canonicalJson(v)).toBe(reference(v) ?? 'null');
const REAL_LOGS = path.resolve(import.meta.dirname, '../../../../shared/data/edx-tracking');

describe('canonicalJson', () => {
  it('sorts keys at every level, drops undefined members, writes edge values as JSON.stringify does', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"z":1}]},"b":1}');
    same([undefined, NaN, Infinity, -0, 1e21, 'é"\n', null, true, new Date(0), () => 1, Symbol('s')]);
    same({ '10': 1, '2': 2, é: 'x', 'a\u0000': '\ud800', b: { f: () => 1 }, c: { u: undefined, v: 1 }, '': 0 });
    same(JSON.parse('{"__proto__": {"b": 1, "a": 2}, "constructor": 1, "toString": {"y": 1, "x": 0}}'));
    same({ only: undefined });
    same(undefined);
    same('text');
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
  });

  it('when objects repeat a key list, and when the same keys come in another order', () => {
    const orders = [
      { a: 1, c: 3, b: 2 },
      { c: 3, a: 1, b: 2 },
      { a: 1, c: 3, b: 2, d: 4 },
      { a: 1, c: 3 },
      { a: 1, c: undefined, b: 2 },
    ];
    for (let round = 0; round < 3; round++) for (const o of orders) same({ o, list: [o, { x: o }] });
  });

  it('for many distinct key lists (more than it remembers)', () => {
    for (let i = 0; i < 6000; i++) same({ [`k${i % 50}`]: 1, [`j${i}`]: { b: i, a: [i] }, a: 0 });
  });

  it.skipIf(!existsSync(REAL_LOGS))('on every event of the real tracking logs (../shared/data)', () => {
    let events = 0;
    for (const f of readdirSync(REAL_LOGS).filter((n) => n.endsWith('.log')))
      for (const line of readFileSync(path.join(REAL_LOGS, f), 'utf8').split('\n'))
        if (line.startsWith('{')) {
          same(JSON.parse(line));
          events++;
        }
    expect(events).toBeGreaterThan(2000);
  });
});
