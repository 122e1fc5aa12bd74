import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { WireIngestRequest, WireIngestResponse } from '@insights/wire';
import { describe, expect, it } from 'vitest';
import { MAX_BYTES_IN_HAND, serveIngestStream } from './ingest-stream.ts';

/** The part of a gRPC server stream that serveIngestStream uses: data/end events and pausing. */
class FakeCall extends EventEmitter {
  paused = false;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  isPaused(): boolean {
    return this.paused;
  }
}

const chunk = (events: number, bytesEach: number): WireIngestRequest => ({
  eventsJson: Array.from({ length: events }, () => new Uint8Array(bytesEach)),
  waitForHandlers: false,
  waitTimeoutMs: 0,
  capability: '',
});

describe('ingest stream - flow control', () => {
  it('stops reading once the chunks in hand reach MAX_BYTES_IN_HAND of events, however many chunks that is', async () => {
    const call = new FakeCall();
    const finish: (() => void)[] = [];
    let answer: WireIngestResponse | undefined;
    serveIngestStream(
      call as unknown as grpc.ServerReadableStream<WireIngestRequest, WireIngestResponse>,
      (_e, r) => (answer = r ?? undefined),
      (req) =>
        new Promise((resolve) =>
          finish.push(() =>
            resolve({ received: req.eventsJson.length, accepted: req.eventsJson.length, duplicates: 0, rejected: [] }),
          ),
        ),
    );
    // Small chunks: many in hand before the bound.
    const small = MAX_BYTES_IN_HAND / 16;
    for (let i = 0; i < 15; i++) call.emit('data', chunk(4, small / 4));
    expect(call.isPaused()).toBe(false);
    call.emit('data', chunk(4, small / 4));
    expect(call.isPaused()).toBe(true);
    // One finished chunk frees room: reading resumes.
    finish.shift()!();
    await expect.poll(() => call.isPaused()).toBe(false);
    while (finish.length > 0) finish.shift()!();
    // A chunk larger than the bound alone is taken (nothing else in hand) and pauses the stream.
    await expect.poll(() => call.isPaused()).toBe(false);
    call.emit('data', chunk(1, MAX_BYTES_IN_HAND * 2));
    expect(call.isPaused()).toBe(true);
    finish.shift()!();
    await expect.poll(() => call.isPaused()).toBe(false);
    call.emit('end');
    await expect.poll(() => answer).toEqual({ received: 65, accepted: 65, duplicates: 0, rejected: [] });
  });
});
