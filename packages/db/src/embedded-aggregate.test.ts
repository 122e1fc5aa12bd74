import { describe, expect, it } from 'vitest';
import { foreignCollections, foreignStages } from './embedded-aggregate.ts';

describe('embedded engine - collections a pipeline names', () => {
  const pipeline = [
    { $match: { a: 1 } },
    { $lookup: { from: 'one', localField: 'a', foreignField: 'b', as: 'x' } },
    { $facet: { f: [{ $graphLookup: { from: 'two', startWith: '$a', connectFromField: 'a', connectToField: 'b', as: 'g' } }] } },
    { $unionWith: { coll: 'three', pipeline: [{ $lookup: { from: 'one', pipeline: [], as: 'y' } }, { $unionWith: 'four' }] } },
  ];

  it('foreign - every stage that reads another collection, nested too, with the first stage naming it', () => {
    expect([...foreignStages(pipeline)]).toEqual([
      ['one', '$lookup'],
      ['two', '$graphLookup'],
      ['three', '$unionWith'],
      ['four', '$unionWith'],
    ]);
    expect(foreignCollections(pipeline)).toEqual(new Set(['one', 'two', 'three', 'four']));
  });
});
