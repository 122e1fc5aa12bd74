import type { EventEnvelope, InsightsError } from '@insights/sdk';
import { EncodedJson } from '@insights/wire';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@insights/runtime/internal';
import { BatchSource, ChannelInbox, MESSAGES_PER_TURN } from './channel-inbox.ts';
import { LogRelay } from './log-relay.ts';
import { REQUEST_BYTES_IN_FLIGHT } from './channel-limits.ts';
import { MAX_MODULE_REQUESTS_IN_FLIGHT } from './request-window.ts';
import { packResults, packView, unpackCalls } from './packed.ts';
import type { InitMessage, ParentBatch, RequestMessage } from './protocol.ts';
import { Sandbox, type SandboxSink } from './sandbox.ts';
import type { TransportEvents } from './transport.ts';

const init = { type: 'init' } as unknown as InitMessage;
/** Enough turns of the event loop for the channel to hand over a whole window of requests (MESSAGES_PER_TURN a turn). */
const turns = async (n = 3 + Math.ceil((MAX_MODULE_REQUESTS_IN_FLIGHT + 100) / MESSAGES_PER_TURN)) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A Sandbox over a fake transport: the test plays the sandbox's side. */
function fakeSandbox(overrides: { learnerId?: () => Promise<string>; mesh?: unknown } = {}) {
  const posted: ParentBatch[] = [];
  let inbox: ChannelInbox | undefined;
  let killed = false;
  const emitted: EventEnvelope[] = [];
  const services = {
    mesh: {} as never,
    fileUrl: () => '',
    learnerId: () => '',
    db: () => Promise.reject(new Error('no db in this test')),
    readDb: () => Promise.reject(new Error('no db in this test')),
    emit: (e: EventEnvelope) => (emitted.push(e), Promise.resolve()),
    logs: new LogRelay(
      createLogger(() => undefined),
      'm',
      100,
    ),
    ...(overrides as object),
  };
  const sandbox = new Sandbox(
    (e: TransportEvents) => {
      inbox = new ChannelInbox(
        (m, bytes) => e.onMessage(m, bytes),
        () => undefined,
        (err) => e.onBroken(String(err)),
      );
      return {
        pid: undefined,
        post: (b) => posted.push(b),
        resume: () => inbox!.resume(),
        kill: () => {
          killed = true;
          e.onExit('killed');
        },
      };
    },
    init,
    services,
    () => undefined,
  );
  return {
    sandbox,
    posted,
    emitted,
    answer: (batch: unknown[]) => inbox!.push(new BatchSource(batch)),
    /** As if each message had taken `bytes` on the channel. */
    answerSized: (batch: unknown[], bytes: number) => inbox!.push(new SizedSource(batch, bytes)),
    held: () => inbox!.held,
    killed: () => killed,
  };
}

class SizedSource extends BatchSource {
  constructor(
    batch: unknown[],
    override readonly lastBytes: number,
  ) {
    super(batch);
  }
}

class Sink implements SandboxSink {
  value: unknown;
  error: InsightsError | undefined;
  constructor(readonly isCall: boolean) {}
  done(v: unknown) {
    this.value = v;
  }
  failed(e: InsightsError) {
    this.error = e;
  }
}

const call = (name: string): RequestMessage => ({
  id: 0,
  type: 'call',
  kind: 'query',
  name,
  args: { x: 1 },
  deadline: 1e13,
  progress: false,
});

describe('sandbox channel (host side)', () => {
  it('sends the calls of a turn packed, and hands packed results over as encoded JSON', async () => {
    const { sandbox, posted, answer } = fakeSandbox();
    const a = new Sink(true);
    const b = new Sink(true);
    const ida = sandbox.request(call('a'), a);
    const idb = sandbox.request(call('b'), b);
    await turns();
    const packed = posted.flat().filter((m) => m instanceof Uint8Array);
    expect(packed.flatMap((m) => unpackCalls(m).map((c) => [c.id, c.name, c.args]))).toEqual([
      [ida, 'a', { x: 1 }],
      [idb, 'b', { x: 1 }],
    ]);
    answer([
      packResults([
        { id: idb, encoded: '"B"' },
        { id: ida, encoded: '"A"' },
      ]),
    ]);
    expect(a.value).toBeInstanceOf(EncodedJson);
    expect((a.value as EncodedJson).value).toBe('A');
    expect((b.value as EncodedJson).value).toBe('B');
    sandbox.kill('test over');
  });

  it('kills a sandbox that answers a request other than a call with a packed result, or sends a malformed buffer', async () => {
    const first = fakeSandbox();
    const file = new Sink(false);
    const id = first.sandbox.request({ id: 0, type: 'sweep-files' }, file);
    await turns();
    first.answer([packResults([{ id, encoded: '1' }])]);
    expect(first.killed()).toBe(true);
    expect(file.value).toBeUndefined();
    expect(file.error?.code).toBe('UNAVAILABLE');

    const second = fakeSandbox();
    const c = new Sink(true);
    second.sandbox.request(call('a'), c);
    await turns();
    second.answer([packResults([{ id: 1, encoded: '1' }]).subarray(0, 7)]);
    expect(second.killed()).toBe(true);
    expect(c.error?.code).toBe('UNAVAILABLE');
  });

  it("derives an emitted event from the batch it sent: source, id and hops are never the sandbox's", async () => {
    const { sandbox, posted, emitted, answer } = fakeSandbox();
    answer([{ type: 'ready', manifest: { name: 'm', version: '1', description: '', analytics: [] } }]);
    const ev = (id: string, hops: number) => ({
      id,
      time: '2026-01-01T00:00:00Z',
      source: 'test',
      type: 't',
      payload: {},
      raw: {},
      hops,
    });
    const handling = new Sink(false);
    sandbox.request({ id: 0, type: 'events', handler: 'h', events: [ev('e0', 0), ev('e5', 5)], deadline: 1e13 }, handling);
    answer([
      { type: 'emit', id: 1, handler: 'h', parents: ['e0'], event: { type: 'derived', payload: { n: 1 } } },
      { type: 'emit', id: 2, handler: 'h', parents: ['e0'], event: { type: 'derived', payload: {}, hops: 0 } },
      { type: 'emit', id: 3, handler: 'other', parents: ['e0'], event: { type: 'derived', payload: {} } },
      { type: 'emit', id: 4, handler: 'h', parents: ['nope'], event: { type: 'derived', payload: {} } },
      { type: 'emit', id: 5, handler: 'h', parents: ['e0'], event: { type: 'bad type!', payload: {} } },
    ]);
    await turns(6);
    // Naming only the hop-0 event does not reset the count: one more than the batch's highest.
    expect(emitted).toEqual([expect.objectContaining({ source: 'm', type: 'derived', hops: 6, payload: { n: 1 } })]);
    const answers = posted.flat().filter((m): m is Exclude<typeof m, Uint8Array> => !(m instanceof Uint8Array));
    const failed = Object.fromEntries(
      answers.flatMap((m) => (m.type === 'failed' ? [[m.id, `${m.error.code} ${m.error.parameter ?? ''}`]] : [])),
    );
    expect(failed).toEqual({
      2: 'INVALID_ARGUMENT hops',
      3: 'PERMISSION_DENIED parents',
      4: 'PERMISSION_DENIED parents',
      5: 'INVALID_ARGUMENT type',
    });
    // Once the batch is answered, its events can no longer be named.
    answer([{ type: 'done', id: 1, value: 2 }]);
    answer([{ type: 'emit', id: 6, handler: 'h', parents: ['e0'], event: { type: 'late', payload: {} } }]);
    await turns(6);
    expect(emitted).toHaveLength(1);
    sandbox.kill('test over');
  });

  it('holds what a sandbox sends past 1,024 module requests in flight, in order, and goes on as they are answered', async () => {
    const answers: ((v: string) => void)[] = [];
    const { sandbox, posted, answer, held } = fakeSandbox({ learnerId: () => new Promise((r) => answers.push(r)) });
    const file = new Sink(false);
    const fileId = sandbox.request({ id: 0, type: 'sweep-files' }, file);
    const asks = Array.from({ length: MAX_MODULE_REQUESTS_IN_FLIGHT + 76 }, (_, i) => ({
      type: 'learner-id',
      id: i + 1,
      learner: `l${i}`,
    }));
    answer([...asks, { type: 'done', id: fileId, value: 'file' }]);
    await turns();
    expect(answers).toHaveLength(MAX_MODULE_REQUESTS_IN_FLIGHT);
    expect(held()).toBe(true);
    // Sent after the requests that wait: it waits too.
    expect(file.value).toBeUndefined();
    answers[0]!('k');
    await turns();
    expect(answers).toHaveLength(MAX_MODULE_REQUESTS_IN_FLIGHT + 1);
    for (let i = 0; i < 10 && answers.length < asks.length; i++) {
      answers.forEach((r) => r('k'));
      await turns();
    }
    expect(answers).toHaveLength(asks.length);
    expect(file.value).toBe('file');
    expect(held()).toBe(false);
    answers.forEach((r) => r('k'));
    await turns();
    const done = posted.flat().filter((m) => !(m instanceof Uint8Array) && m.type === 'done');
    expect(done).toHaveLength(asks.length);
    sandbox.kill('test over');
  });

  it('starts nothing for requests still held when the sandbox exits', async () => {
    const answers: ((v: string) => void)[] = [];
    const { sandbox, answer } = fakeSandbox({ learnerId: () => new Promise((r) => answers.push(r)) });
    answer(
      Array.from({ length: MAX_MODULE_REQUESTS_IN_FLIGHT + 5 }, (_, i) => ({ type: 'learner-id', id: i + 1, learner: 'l' })),
    );
    await turns();
    expect(answers).toHaveLength(MAX_MODULE_REQUESTS_IN_FLIGHT);
    sandbox.kill('test over');
    answers.forEach((r) => r('k'));
    await turns();
    expect(answers).toHaveLength(MAX_MODULE_REQUESTS_IN_FLIGHT);
  });

  it('fails nested calls past 1,024 in flight at once instead of holding the channel (their answers may need it)', async () => {
    let invoked = 0;
    const mesh = { invoke: () => (invoked++, new Promise(() => undefined)) };
    const { sandbox, posted, answer, held } = fakeSandbox({ mesh });
    const job = { done: () => undefined, failed: () => undefined, makesNestedCalls: true };
    const jobId = sandbox.request({ id: 0, type: 'job', job: 'j', deadline: 1e13 }, job);
    const calls = Array.from({ length: MAX_MODULE_REQUESTS_IN_FLIGHT + 6 }, (_, i) => ({
      type: 'mesh',
      id: i + 1,
      kind: 'query',
      name: 'other.q',
      args: {},
      call: jobId,
    }));
    answer(calls);
    await turns();
    expect(invoked).toBe(MAX_MODULE_REQUESTS_IN_FLIGHT);
    expect(held()).toBe(false);
    const refused = posted.flat().filter((m) => !(m instanceof Uint8Array) && m.type === 'failed');
    expect(refused).toHaveLength(6);
    expect(refused[0]).toMatchObject({
      error: { code: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/1024 nested calls/) },
    });
    sandbox.kill('test over');
  });

  it(`holds a sandbox's requests past ${REQUEST_BYTES_IN_FLIGHT} bytes of them in flight; one larger than that runs when none other does`, async () => {
    const answers: ((v: string) => void)[] = [];
    const { sandbox, answerSized, held } = fakeSandbox({ learnerId: () => new Promise((r) => answers.push(r)) });
    const ask = (id: number) => ({ type: 'learner-id', id, learner: 'l' });
    const third = REQUEST_BYTES_IN_FLIGHT / 3;
    answerSized([ask(1), ask(2), ask(3), ask(4)], third);
    await turns();
    // Three fit; the fourth waits, and so does everything after it.
    expect(answers).toHaveLength(3);
    expect(held()).toBe(true);
    answers[0]!('k');
    await turns();
    expect(answers).toHaveLength(4);
    expect(held()).toBe(false);
    answers.forEach((r) => r('k'));
    await turns();
    // Twice the budget, alone: it runs (it fitted the channel); the next waits for it.
    answerSized([ask(5)], 2 * REQUEST_BYTES_IN_FLIGHT);
    answerSized([ask(6)], 1);
    await turns();
    expect(answers).toHaveLength(5);
    expect(held()).toBe(true);
    answers[4]!('k');
    await turns();
    expect(answers).toHaveLength(6);
    sandbox.kill('test over');
  });

  it(`fails nested calls past ${REQUEST_BYTES_IN_FLIGHT} bytes of them in flight at once`, async () => {
    let invoked = 0;
    const mesh = { invoke: () => (invoked++, new Promise(() => undefined)) };
    const { sandbox, posted, answerSized, held } = fakeSandbox({ mesh });
    const job = { done: () => undefined, failed: () => undefined, makesNestedCalls: true };
    const jobId = sandbox.request({ id: 0, type: 'job', job: 'j', deadline: 1e13 }, job);
    const nested = (id: number) => ({ type: 'mesh', id, kind: 'query', name: 'other.q', args: {}, call: jobId });
    answerSized([nested(1), nested(2), nested(3)], REQUEST_BYTES_IN_FLIGHT / 2);
    await turns();
    expect(invoked).toBe(2);
    expect(held()).toBe(false);
    const refused = posted.flat().filter((m) => !(m instanceof Uint8Array) && m.type === 'failed');
    expect(refused).toEqual([
      {
        type: 'failed',
        id: 3,
        error: { code: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/REQUEST_BYTES_IN_FLIGHT/) as unknown },
      },
    ]);
    sandbox.kill('test over');
  });

  it('hands a packed view result over decoded, as a client reads it; kills a sandbox that answers another request so', async () => {
    const first = fakeSandbox();
    const c = new Sink(true);
    const id = first.sandbox.request({ ...call('v'), kind: 'view' } as RequestMessage, c);
    await turns();
    first.answer([packView({ type: 'view-result', id, contentType: 'text/html; charset=utf-8', data: Buffer.from('<p>é</p>') })]);
    expect(c.value).toEqual({ type: 'html', html: '<p>é</p>' });
    expect(first.killed()).toBe(false);

    const second = fakeSandbox();
    const sweep = new Sink(false);
    const sweepId = second.sandbox.request({ id: 0, type: 'sweep-files' }, sweep);
    await turns();
    second.answer([packView({ type: 'view-result', id: sweepId, contentType: 'image/png', data: new Uint8Array(3) })]);
    expect(second.killed()).toBe(true);
    expect(sweep.value).toBeUndefined();
  });
});
