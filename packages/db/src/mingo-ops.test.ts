import type { Document } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import { runPipeline } from './mingo-ops.ts';

describe('mingo ops', () => {
  it('mingo - a pipeline pulls its input lazily and hands results out in pages', () => {
    let pulled = 0;
    function* rows(): Generator<Document> {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        yield { _id: i, even: i % 2 === 0 };
      }
    }
    const pages = runPipeline(rows(), [{ $match: { even: true } }, { $project: { even: 0 } }], 'm.c', () => [], 2);
    expect(pages.next().value).toEqual([{ _id: 0 }, { _id: 2 }]);
    expect(pulled).toBeLessThan(10); // the first page came before the input was read
    expect([...pages].flat()).toHaveLength(4_998);
    // mingo's $limit does not stop reading its input (it reads to the end, holding nothing).
    expect([...runPipeline(rows(), [{ $limit: 5 }], 'm.c', () => [], 2)].flat()).toHaveLength(5);
  });

  it('mingo - pipeline errors are coded with the namespace', () => {
    expect(() => [...runPipeline([{ a: 1 }], [{ $nope: 1 }], 'm.c', () => [], 10)]).toThrow(
      expect.objectContaining({ code: 'DB_INVALID_PIPELINE' }),
    );
  });
});
