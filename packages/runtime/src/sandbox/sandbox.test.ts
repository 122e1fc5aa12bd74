import type { EventEnvelope, InsightsError } from '@insights/sdk';
import { EncodedJson } from '@insights/wire';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../resources/log.ts';
import { LogRelay } from './log-relay.ts';
import { packResults, unpackCalls } from './packed.ts';
import type { InitMessage, ParentBatch, RequestMessage } from './protocol.ts';
import { Sandbox, type SandboxSink } from './sandbox.ts';
import type { TransportEvents } from './transport.ts';

const init = { type: 'init' } as unknown as InitMessage;
const turns = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A Sandbox over a fake transport: the test plays the sandbox's side. */
function fakeSandbox() {
  const posted: ParentBatch[] = [];
  let events: TransportEvents | undefined;
  let killed = false;
  const emitted: EventEnvelope[] = [];
  const services = {
    mesh: {} as never,
    fileUrl: () => '',
    db: () => Promise.reject(new Error('no db in this test')),
    emit: (e: EventEnvelope) => (emitted.push(e), Promise.resolve()),
    logs: new LogRelay(
      createLogger(() => undefined),
      'm',
      100,
    ),
  };
  const sandbox = new Sandbox(
    (e) => {
      events = e;
      return {
        pid: undefined,
        post: (b) => posted.push(b),
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
  return { sandbox, posted, emitted, answer: (batch: unknown[]) => events!.onBatch(batch), killed: () => killed };
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
    const id = first.sandbox.request({ id: 0, type: 'read-file', name: 'f' }, file);
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
});
