import type * as grpc from '@grpc/grpc-js';
import { toGrpcStatus, toInsightsError, type WireIngestRequest, type WireIngestResponse } from '@insights/wire';

/**
 * Event bytes of one import stream being ingested at once (a chunk is always taken when none is
 * in hand, whatever its size). The next chunk is normalised while the previous ones wait for
 * JetStream; past this the node stops reading the stream, HTTP/2 flow control holds the rest in
 * the client (its writes wait), and the node's memory stays flat however large the file. Bytes,
 * not chunks: what a chunk costs (its parsed and normalised copies) grows with its bytes.
 */
export const MAX_BYTES_IN_HAND = 4 * 1024 * 1024;
/** Rejections reported for a whole stream, lowest positions first. */
const MAX_REPORTED_REJECTIONS = 1000;

/** Ingests one chunk whose first event is at position `base` of the stream. */
export type IngestChunk = (req: WireIngestRequest, base: number) => Promise<WireIngestResponse>;

/**
 * Serves `IngestStream`: chunks are ingested as they arrive, a few at a time, and the answers add
 * up to one at the end. After a chunk is refused (a bad token, NATS away) later chunks are
 * dropped and the stream is answered with that error.
 */
export function serveIngestStream(
  call: grpc.ServerReadableStream<WireIngestRequest, WireIngestResponse>,
  cb: grpc.sendUnaryData<WireIngestResponse>,
  ingestChunk: IngestChunk,
): void {
  const total: WireIngestResponse = { received: 0, accepted: 0, duplicates: 0, rejected: [] };
  let offset = 0;
  let inHand = 0;
  let bytesInHand = 0;
  let failure: unknown;
  let ended = false;
  let answered = false;
  const answerWhenDone = () => {
    if (!ended || inHand > 0 || answered) return;
    answered = true;
    if (failure !== undefined) cb(toGrpcStatus(toInsightsError(failure)));
    else cb(null, total);
  };
  call.on('data', (req: WireIngestRequest) => {
    const base = offset;
    offset += req.eventsJson.length;
    if (failure !== undefined) return;
    const bytes = chunkBytes(req);
    inHand++;
    bytesInHand += bytes;
    if (bytesInHand >= MAX_BYTES_IN_HAND) call.pause();
    ingestChunk(req, base)
      .then(
        (r) => addUp(total, r),
        (e: unknown) => (failure ??= e),
      )
      .finally(() => {
        inHand--;
        bytesInHand -= bytes;
        if (call.isPaused() && bytesInHand < MAX_BYTES_IN_HAND) call.resume();
        answerWhenDone();
      })
      .catch(() => undefined);
  });
  call.on('end', () => {
    ended = true;
    answerWhenDone();
  });
}

function chunkBytes(req: WireIngestRequest): number {
  let n = 0;
  for (const e of req.eventsJson) n += e.length;
  return n;
}

function addUp(total: WireIngestResponse, r: WireIngestResponse): void {
  total.received += r.received;
  total.accepted += r.accepted;
  total.duplicates += r.duplicates;
  // Chunks may finish out of order: keep the first rejections by position.
  if (r.rejected.length > 0)
    total.rejected = [...total.rejected, ...r.rejected].sort((a, b) => a.index - b.index).slice(0, MAX_REPORTED_REJECTIONS);
}
