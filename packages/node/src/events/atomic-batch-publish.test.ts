import { natsServerAvailable, startNatsServer, type NatsServer } from '@insights/registry/nats-server';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendAtomicBatch } from './atomic-batch-publish.ts';
import { JetStreamPublisher } from './jetstream-publisher.ts';
import type { OutgoingMessage } from './outgoing-message.ts';

const messages = (subject: string, ids: readonly string[]): OutgoingMessage[] =>
  ids.map((msgId) => ({ subject, data: new TextEncoder().encode(JSON.stringify({ id: msgId })), msgId }));
const ids = (prefix: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => `${prefix}-${from + i}`);

describe.skipIf(!natsServerAvailable())('atomic batch publishing (real nats-server)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let publisher: JetStreamPublisher;
  const stored = async (stream: string) => (await jsm.streams.info(stream)).state.messages;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect(nats.connectOptions('admin'));
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ATOMIC', subjects: ['atomic.>'], duplicate_window: 60e9, allow_atomic: true });
    await jsm.streams.add({ name: 'PLAIN', subjects: ['plain.>'], duplicate_window: 60e9 });
    await jsm.streams.add({
      name: 'SMALL',
      subjects: ['small.>'],
      duplicate_window: 60e9,
      allow_atomic: true,
      max_msg_size: 1000,
    });
    publisher = new JetStreamPublisher(nc);
  });
  afterAll(async () => {
    publisher.close();
    await nc.close();
    await nats.stop();
  });

  it('stores a batch with one acknowledgement, the batch counted in the window until then', async () => {
    const report = sendAtomicBatch(publisher, messages('atomic.a', ids('a', 300)));
    expect(publisher.outstanding).toBe(300);
    expect(await report).toEqual({ published: 300, duplicates: 0, lastSeq: 300 });
    expect(await stored('ATOMIC')).toBe(300);
    expect(publisher.outstanding).toBe(0);
    // Stored by the batch, not one by one: the server keeps the batch headers.
    const first = await jsm.streams.getMessage('ATOMIC', { seq: 1 });
    expect(first?.header.get('Nats-Batch-Sequence')).toBe('1');
  });

  it('a batch with events stored before is refused whole and re-sent one by one: each duplicate counted, none stored twice', async () => {
    const before = await stored('ATOMIC');
    const report = await sendAtomicBatch(publisher, messages('atomic.b', [...ids('a', 10, 290), ...ids('b', 90)]));
    expect(report).toMatchObject({ published: 90, duplicates: 10 });
    expect(await stored('ATOMIC')).toBe(before + 90);
  });

  it('an id twice in one batch is stored once', async () => {
    const before = await stored('ATOMIC');
    const report = await sendAtomicBatch(publisher, messages('atomic.c', ['c-1', 'c-2', 'c-1', 'c-3']));
    expect(report).toMatchObject({ published: 3, duplicates: 1 });
    expect(await stored('ATOMIC')).toBe(before + 3);
  });

  it('a stream that does not allow atomic batches stores every message one by one (the batch is refused, nothing half-stored)', async () => {
    const report = await sendAtomicBatch(publisher, messages('plain.a', ids('p', 50)));
    expect(report).toMatchObject({ published: 50, duplicates: 0 });
    expect(await stored('PLAIN')).toBe(50);
  });

  it('a batch refused because the stream has 50 batches open (the server limit) is re-sent one by one', async () => {
    // 50 batches begun and never committed (the server drops them after 10 s idle).
    for (let b = 0; b < 50; b++) {
      const h = natsHeaders();
      h.set('Nats-Batch-Id', `open-${b}`);
      h.set('Nats-Batch-Sequence', '1');
      h.set('Nats-Msg-Id', `open-${b}`);
      nc.publish('atomic.open', new Uint8Array(1), { headers: h });
    }
    const before = await stored('ATOMIC');
    const report = await sendAtomicBatch(publisher, messages('atomic.d', ids('d', 20)));
    expect(report).toMatchObject({ published: 20, duplicates: 0 });
    expect(await stored('ATOMIC')).toBe(before + 20);
    const last = await jsm.streams.getMessage('ATOMIC', { last_by_subj: 'atomic.d' });
    expect(last?.header.get('Nats-Batch-Id')).toBe('');
  });

  it('a message the stream refuses cuts the batch: the others are stored once, the refusal is reported, a retry adds nothing', async () => {
    const batch = messages('small.a', ids('s', 30));
    const tooLarge = { subject: 'small.a', data: new Uint8Array(2000), msgId: 'too-large' };
    const withPoison = [...batch.slice(0, 10), tooLarge, ...batch.slice(10)];
    await expect(sendAtomicBatch(publisher, withPoison)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('JetStream refused a message on small.a'),
    });
    // The rejection comes with the refused message's ack; the ones sent after it may still be on their way.
    await expect.poll(() => stored('SMALL'), { timeout: 10_000 }).toBe(30);
    expect(await sendAtomicBatch(publisher, batch)).toMatchObject({ published: 0, duplicates: 30 });
    expect(await stored('SMALL')).toBe(30);
  });
});
