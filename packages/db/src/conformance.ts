/**
 * The conformance suite: one set of tests for every `Db` implementation. Each engine's test file
 * calls `describeDbConformance` with a way to open a fresh, empty database.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import { describeAggregateConformance } from './conformance-aggregate.ts';
import { describeCrudConformance } from './conformance-crud.ts';
import { describeIndexConformance } from './conformance-index.ts';
import { describeQueryConformance } from './conformance-query.ts';
import { describeUpdateConformance } from './conformance-update.ts';
import type { DbGetter, OpenedDb } from './conformance-helpers.ts';

export type { OpenedDb } from './conformance-helpers.ts';

/**
 * Tests a server is known to fail, by test name, with the reason (shown as the skip note). Only
 * for servers we test against but do not recommend (FerretDB stands in for MongoDB in `npm test`).
 */
export type KnownGaps = Readonly<Record<string, string>>;

export function describeDbConformance(name: string, open: () => Promise<OpenedDb>, gaps: KnownGaps = {}): void {
  describe(`db conformance - ${name}`, () => {
    let opened: OpenedDb | undefined;
    beforeEach(async (ctx) => {
      const gap = gaps[ctx.task.name];
      if (gap !== undefined) ctx.skip(`${name} lacks this: ${gap}`);
      opened = await open();
    });
    afterEach(async () => {
      await opened?.close();
      opened = undefined;
    });
    const db: DbGetter = () => {
      if (opened === undefined) throw new Error('no database open');
      return opened.db;
    };
    describeCrudConformance(db);
    describeQueryConformance(db);
    describeUpdateConformance(db);
    describeIndexConformance(db);
    describeAggregateConformance(db);
  });
}
