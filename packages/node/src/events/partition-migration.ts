import type { JetStreamManager } from '@nats-io/jetstream';
import { durableName } from './subjects.ts';

/**
 * A handler that gained `partitionBy` (or a node that now splits keys) leaves behind the durable
 * it was read through, which nobody reads any more and which would hold up every wait for
 * handlers. Its position is handed over, so partitions created now start after what it had
 * acknowledged instead of replaying the stream into state that has it already: the shared
 * durable's (MongoDB), else this node's own (embedded database). Call `retire` once the
 * partitions exist.
 */
export async function unpartitionedPosition(
  jsm: JetStreamManager,
  stream: string,
  module: string,
  handler: string,
  nodeId: string,
): Promise<{ startSeq: number | undefined; retire(): Promise<void> }> {
  const names = [durableName(module, handler), durableName(module, handler, nodeId)];
  let startSeq: number | undefined;
  for (const name of names) {
    const info = await jsm.consumers.info(stream, name).catch(() => undefined);
    if (info !== undefined) {
      startSeq = info.ack_floor.stream_seq + 1;
      break;
    }
  }
  return {
    startSeq,
    retire: async () => {
      for (const name of names) await jsm.consumers.delete(stream, name).catch(() => false);
    },
  };
}
