import { describe, expect, it } from 'vitest';
import { failure, nodeWithHostile, query, sandboxHost, whileProbingGood } from '../support.ts';

const MIB = 1024 * 1024;
const BOUNDS = /module queries are bounded to 16 MiB per value \(MAX_VALUE_BYTES\) and 64 MiB built per expression/;
const NOT_LINEAR = /cannot run in linear time: back references and lookarounds are not allowed in module queries/;

/**
 * A module whose database queries are built to freeze the node (regular expressions that backtrack
 * for hours) or to kill it (values V8 cannot hold): the node runs every module's embedded database
 * on its own thread, so these reach it through the sandbox's db broker. Each ends at once, with the
 * right answer or a coded error naming the limit; the node stays up and small, and the neighbour
 * answers throughout.
 */
describe('sandbox hostile - database queries built to freeze or exhaust the node', () => {
  const h = nodeWithHostile('query-bomb');

  it.each([
    ['redos', { found: 0 }],
    ['redos-i', { found: 0 }],
    ['redos-expr', { found: 0 }],
    ['backreference', { code: 'DB_INVALID_FILTER', message: expect.stringMatching(NOT_LINEAR) }],
    ['lookahead', { code: 'DB_INVALID_PIPELINE', message: expect.stringMatching(NOT_LINEAR) }],
    ['range', { code: 'DB_EXPRESSION_TOO_LARGE', message: expect.stringMatching(BOUNDS) }],
    ['doubling', { code: 'DB_EXPRESSION_TOO_LARGE', message: expect.stringMatching(/^\$concat would build a value of 32 MiB/) }],
    ['map-range', { code: 'DB_EXPRESSION_TOO_LARGE', message: expect.stringMatching(/^\$range would take the values/) }],
    ['graph', { found: 1 }],
    ['cartesian', { code: 'DB_LOOKUP_TOO_LARGE', message: expect.stringMatching(/MAX_CHUNK_JOINED_BYTES/) }],
  ])(
    'hostile - %s: answered or refused with a coded error, the node up and small, the neighbour answering',
    async (kind, outcome) => {
      expect(await query(h.node, 'query-bomb.seed', {}, 30_000)).toBe(true);
      const before = process.memoryUsage().rss;
      const result = await whileProbingGood(h.mesh, `query bomb (${kind})`, () =>
        query(h.node, 'query-bomb.attack', { kind }, 60_000),
      );
      const growthMb = (process.memoryUsage().rss - before) / MIB;
      console.log(`[query bomb] ${JSON.stringify({ kind, result, growthMb: Math.round(growthMb) })}`);
      expect(result).toEqual(outcome);
      expect(growthMb).toBeLessThan(512);
      expect(sandboxHost(h.node, 'query-bomb').status().restarts).toBe(0);
      expect(await query(h.node, 'good.ping')).toBe('pong');
    },
  );

  it('hostile - an attack the module does not catch fails its call with the database error', async () => {
    const e = await failure(query(h.node, 'query-bomb.uncaught', {}, 30_000));
    expect(e.message).toMatch(/\$range would build a value of 7629\.4 MiB/);
    expect(await query(h.node, 'query-bomb.ping')).toBe('pong');
  });
});
