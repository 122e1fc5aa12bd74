import { randomBytes } from 'node:crypto';
import { defineModule, png, query, view, z } from '@insights/sdk';

/** About 1 MB of JSON: records like a query result researchers fetch. */
const BIG_JSON = Array.from({ length: 9000 }, (_, i) => ({
  learner: `learner-${i}`,
  course: 'MITx/6.002x/2013_Spring',
  grade: (i % 100) / 100,
  attempts: i % 7,
}));
/** 1 MB of image bytes (the bytes do not matter to the transport). */
const BIG_PNG = new Uint8Array(randomBytes(1024 * 1024));

/** Benchmark module: the smallest useful work, so the figures measure the call path. */
export default defineModule({
  name: 'echo',
  queries: {
    echo: query({ params: { x: z.number() }, run: ({ x }) => ({ x }) }),
    // Memoized: a precomputed result, as the raw baseline sends a prebuilt buffer. The node
    // encodes a memoized result once, not once per call.
    big_json: query({ run: () => BIG_JSON, memoize: { ttlSeconds: 3600 } }),
  },
  views: {
    big_png: view({ run: () => png(BIG_PNG) }),
  },
});
