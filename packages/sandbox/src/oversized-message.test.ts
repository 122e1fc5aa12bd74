import { describe, expect, it } from 'vitest';
import { refuseOversized } from './oversized-message.ts';
import type { ChildMessage, DoneMessage, FailedMessage } from './protocol.ts';

function refuse(m: ChildMessage) {
  const out: ChildMessage[] = [];
  const settled: (DoneMessage | FailedMessage)[] = [];
  refuseOversized(m, 5_000_000, 4_194_304, { push: (x) => out.push(x) }, { settle: (x) => settled.push(x) });
  return { out, settled };
}

describe('oversized messages (sandbox side)', () => {
  it("fails the module's own request with RESOURCE_EXHAUSTED naming the limit; nothing is sent", () => {
    const op = { op: 'call', collection: 'docs', method: 'insertOne', args: [{}] } as const;
    const { out, settled } = refuse({ type: 'db', id: 7, op });
    expect(out).toEqual([]);
    expect(settled).toEqual([
      {
        type: 'failed',
        id: 7,
        error: {
          code: 'RESOURCE_EXHAUSTED',
          message: expect.stringMatching(
            /^ctx\.db insertOne on docs is 5000000 bytes serialised, over the sandbox channel's limit of 4194304 bytes for one message \(MAX_MESSAGE_BYTES\)/,
          ) as unknown,
        },
      },
    ]);
    const emit = refuse({ type: 'emit', id: 8, handler: 'h', parents: ['p'], event: { type: 't' } as never });
    expect(emit.settled[0]).toMatchObject({ id: 8, error: { message: expect.stringMatching(/^ctx\.emit is 5000000 bytes/) } });
    const nested = refuse({ type: 'mesh', id: 9, kind: 'query', name: 'n'.repeat(500), args: {}, deadline: 1, call: 1 });
    expect(nested.settled[0]!.type === 'failed' && nested.settled[0]!.error.message.length).toBeLessThan(400);
  });

  it("turns an answer to the node into that error, cuts a long error's text, notes a dropped log record", () => {
    expect(refuse({ type: 'done', id: 3, value: 'x' }).out).toEqual([
      {
        type: 'failed',
        id: 3,
        error: {
          code: 'RESOURCE_EXHAUSTED',
          message: expect.stringMatching(/^the answer is 5000000 bytes/) as unknown,
          parameter: 'MAX_MESSAGE_BYTES',
        },
      },
    ]);
    const failed = refuse({ type: 'failed', id: 4, error: { code: 'INVALID_ARGUMENT', message: 'e'.repeat(100_000) } });
    expect(failed.out).toEqual([{ type: 'failed', id: 4, error: { code: 'INVALID_ARGUMENT', message: 'e'.repeat(8192) } }]);
    expect(refuse({ type: 'log', level: 'info', msg: 'm', fields: undefined }).out).toEqual([
      {
        type: 'log',
        level: 'warn',
        msg: expect.stringMatching(/^a log record was dropped: it is 5000000 bytes/),
        fields: undefined,
      },
    ]);
    expect(refuse({ type: 'progress', id: 1, fraction: 0.5, message: 'p' })).toEqual({ out: [], settled: [] });
  });
});
