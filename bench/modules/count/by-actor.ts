import { defineModule, eventHandler } from '@insights/sdk';
import count from './index.ts';

/**
 * Benchmark module: the count module with its handler partitioned by actor (8 partitions), so
 * scenario 5 can count the JetStream reads a partitioned handler costs per event.
 */
export default defineModule({
  name: 'count',
  queries: count.queries,
  eventHandlers: {
    count_events: eventHandler({ ...count.eventHandlers.count_events!, partitionBy: 'actor', partitions: 8 }),
  },
});
