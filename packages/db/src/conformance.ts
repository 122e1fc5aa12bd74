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

export function describeDbConformance(name: string, open: () => Promise<OpenedDb>): void {
  describe(`db conformance - ${name}`, () => {
    let opened: OpenedDb | undefined;
    beforeEach(async () => {
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
