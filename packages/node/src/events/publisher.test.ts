import { natsServerAvailable, startNatsServer, type NatsServer } from '@insights/registry/nats-server';
import type { EventEnvelope } from '@insights/sdk';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from './jetstream-publisher.ts';
import { publishEnvelopes } from './publisher.ts';

const envelope = (id: string, padBytes: number): EventEnvelope => ({
  id,
  time: '2026-01-05T10:00:00.000Z',
  source: 'test',
  type: 'tick',
  actor: 'u1',
  payload: { pad: 'x'.repeat(padBytes) },
  raw: {},
});

describe.skipIf(!natsServerAvailable())('publishing envelopes (real nats-server)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let publisher: JetStreamPublisher;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect(nats.connectOptions('admin'));
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ENVELOPES', subjects: ['insights.events.>'], duplicate_window: 60e9, allow_atomic: true });
    publisher = new JetStreamPublisher(nc);
  });
  afterAll(async () => {
    publisher.close();
    await nc.close();
    await nats.stop();
  });

  it('atomic batches are cut by count and by bytes, whichever comes first', async () => {
    const limits = { maxMessages: 4, maxBytes: 5000 };
    const before = (await jsm.streams.info('ENVELOPES')).state.last_seq;
    const small = Array.from({ length: 10 }, (_, i) => envelope(`s-${i}`, 10));
    expect(await publishEnvelopes({ publisher, atomicBatch: limits }, small)).toMatchObject({
      published: 10,
      lastSeq: before + 10,
    });
    // ~3 KB each: two reach 5,000 bytes.
    const large = Array.from({ length: 5 }, (_, i) => envelope(`l-${i}`, 3000));
    expect(await publishEnvelopes({ publisher, atomicBatch: limits }, large)).toMatchObject({
      published: 5,
      lastSeq: before + 15,
    });
    const positions = await Promise.all(
      Array.from({ length: 15 }, async (_, i) =>
        (await jsm.streams.getMessage('ENVELOPES', { seq: before + i + 1 }))?.header.get('Nats-Batch-Sequence'),
      ),
    );
    // The last large one is a batch of one: a plain publish.
    expect(positions).toEqual(['1', '2', '3', '4', '1', '2', '3', '4', '1', '2', '1', '2', '1', '2', '']);
  });

  it('without atomic batches every envelope is its own publish', async () => {
    const r = await publishEnvelopes({ publisher, atomicBatch: undefined }, [
      envelope('p-1', 1),
      envelope('p-2', 1),
      envelope('p-1', 1),
    ]);
    expect(r).toMatchObject({ published: 2, duplicates: 1 });
  });

  it('with pages, a run of one source is one message; a run of one stays a single event; a re-sent batch counts its events as duplicates', async () => {
    const pages = { maxEvents: 4, maxBytes: 64 * 1024 };
    const atomicBatch = { maxMessages: 4, maxBytes: 5000 };
    const before = (await jsm.streams.info('ENVELOPES')).state.last_seq;
    const other = { ...envelope('g-5', 1), source: 'other' };
    const batch = [...Array.from({ length: 5 }, (_, i) => envelope(`g-${i}`, 1)), other, envelope('g-6', 1)];
    expect(await publishEnvelopes({ publisher, atomicBatch, pages }, batch)).toEqual({
      published: 7,
      duplicates: 0,
      lastSeq: before + 4,
    });
    const subjects = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => (await jsm.streams.getMessage('ENVELOPES', { seq: before + i + 1 }))?.subject),
    );
    // A page of 4, the fifth alone (a run of one left), the other source alone, then the last event alone.
    expect(subjects.map((s) => s?.split('.').slice(0, 3).join('.'))).toEqual([
      'insights.events.=',
      'insights.events.~',
      'insights.events.~',
      'insights.events.~',
    ]);
    expect(await publishEnvelopes({ publisher, atomicBatch, pages }, batch)).toEqual({
      published: 0,
      duplicates: 7,
      lastSeq: before + 4,
    });
  });
});
