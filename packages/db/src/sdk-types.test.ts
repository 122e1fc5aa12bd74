/** Type tests of the SDK's db interface (checked by tsc; the runtime part is trivial). */
import type { Collection, Db, Document, Filter, InsertOneResult, WithId } from '@insights/sdk';
import { describe, expectTypeOf, it } from 'vitest';

interface Grade {
  _id: number;
  user: string;
  score: number;
  tags: string[];
}
interface Note {
  text: string;
}

describe('sdk db types', () => {
  it('types - ids are inferred: declared, generated string, or anything for untyped documents', () => {
    expectTypeOf<InsertOneResult<Grade>['insertedId']>().toEqualTypeOf<number>();
    expectTypeOf<InsertOneResult<Note>['insertedId']>().toEqualTypeOf<string>();
    expectTypeOf<WithId<Note>>().toEqualTypeOf<Omit<Note, '_id'> & { _id: string }>();
    expectTypeOf<InsertOneResult<Document>['insertedId']>().toBeAny();
  });

  it('types - filters check known fields and accept dotted paths and operators', () => {
    expectTypeOf<{ score: { $gt: 3 }; user: 'u' }>().toExtend<Filter<Grade>>();
    expectTypeOf<{ tags: 'a' }>().toExtend<Filter<Grade>>();
    expectTypeOf<{ 'meta.x': 1; $or: [{ score: 1 }] }>().toExtend<Filter<Grade>>();
    expectTypeOf<{ score: 'not a number' }>().not.toExtend<Filter<Grade>>();
  });

  it('types - collections are typed by their schema', () => {
    const use = async (db: Db): Promise<void> => {
      const grades: Collection<Grade> = db.collection<Grade>('grades');
      const one = await grades.findOne({ user: 'u' });
      expectTypeOf(one).toEqualTypeOf<WithId<Grade> | null>();
      await grades.insertOne({ _id: 1, user: 'u', score: 1, tags: [] });
      // @ts-expect-error score must be a number
      await grades.insertOne({ _id: 2, user: 'u', score: 'x', tags: [] });
      const notes = db.collection<Note>('notes');
      await notes.insertOne({ text: 'no _id needed' });
      const projected = await notes.find().project<{ text: string }>({ text: 1, _id: 0 }).toArray();
      expectTypeOf(projected).toEqualTypeOf<{ text: string }[]>();
    };
    expectTypeOf(use).toBeFunction();
  });
});
