import { defineModule, eventHandler, query } from '@insights/sdk';

/** Benchmark module: records each event id once (exactly-once effect), so the count proves no loss and no double count. */
export default defineModule({
  name: 'count',
  queries: { count: query({ run: (_a, { db }) => db.collection('seen').countDocuments({}) }) },
  eventHandlers: {
    count_events: eventHandler({
      filter: { sources: ['bench'] },
      mode: { type: 'batched', maxEvents: 1000, maxWaitMs: 20 },
      handle: async (events, { db }) => {
        const seen = db.collection('seen');
        await Promise.all(
          events.map((e) =>
            seen.insertOne({ _id: e.id }).catch((err: { code?: string }) => {
              if (err.code !== 'DB_DUPLICATE_KEY') throw err;
            }),
          ),
        );
      },
    }),
  },
});
