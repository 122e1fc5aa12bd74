import type * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  decodeCallFrame,
  decodeCallFrameSafely,
  MAX_DECODED_CALLS,
  decodeResultFrame,
  encodeCallFrame,
  encodeResultFrame,
  type OutgoingResultFrame,
} from './frame-codec.ts';
import { loadPackageDefinition, SERVICE_NAME } from './proto.ts';

// The protobufjs codec grpc-js would use for CallStream: the reference our bytes must match.
const generic = (loadPackageDefinition()[SERVICE_NAME] as grpc.ServiceDefinition).CallStream!;
const refEncodeCalls = (o: object) => generic.requestSerialize(o);
const refDecodeCalls = (b: Buffer) => generic.requestDeserialize(b) as Record<string, unknown>;
const refEncodeResults = (o: object) => generic.responseSerialize(o);
const refDecodeResults = (b: Buffer) => generic.responseDeserialize(b) as Record<string, unknown>;

const calls = [
  {
    id: 1,
    kind: 1,
    name: 'echo',
    argsJson: '{"x":1}',
    timeoutMs: 30_000,
    capability: '',
    wantProgress: false,
    traceparent: '',
  },
  {
    id: 2 ** 40 + 7,
    kind: 2,
    name: 'vue_d’ensemble_é',
    argsJson: Buffer.from('{"course":"MITx/6.002x/2013_Spring","ü":"ß"}'),
    timeoutMs: 0,
    capability: 'ic1.payload.sig',
    wantProgress: true,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    parentCall: 'q1w2e3r4t5y6',
  },
];

describe('CallFrame codec', () => {
  it('writes what protobufjs reads', () => {
    const decoded = refDecodeCalls(encodeCallFrame({ calls, cancel: [3, 300, 2 ** 35] }));
    const got = decoded.calls as Record<string, unknown>[];
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ id: 1, kind: 1, name: 'echo', timeoutMs: 30_000, wantProgress: false });
    expect(Buffer.from(got[0]!.argsJson as Uint8Array).toString()).toBe('{"x":1}');
    expect(got[1]).toMatchObject({
      id: 2 ** 40 + 7,
      name: 'vue_d’ensemble_é',
      capability: 'ic1.payload.sig',
      wantProgress: true,
      traceparent: calls[1]!.traceparent,
      parentCall: 'q1w2e3r4t5y6',
    });
    expect(decoded.cancel).toEqual([3, 300, 2 ** 35]);
  });

  it('reads what protobufjs writes, with defaults for absent fields', () => {
    const bytes = refEncodeCalls({
      calls: [{ ...calls[1], argsJson: Buffer.from(calls[1]!.argsJson as Buffer) }, { id: 5 }],
      cancel: [9],
    });
    const frame = decodeCallFrame(bytes);
    expect(frame.cancel).toEqual([9]);
    expect(frame.calls[0]).toMatchObject({
      id: 2 ** 40 + 7,
      kind: 2,
      name: 'vue_d’ensemble_é',
      wantProgress: true,
      parentCall: 'q1w2e3r4t5y6',
    });
    expect(Buffer.from(frame.calls[0]!.argsJson).toString()).toContain('MITx');
    expect(frame.calls[1]).toEqual({
      id: 5,
      kind: 0,
      name: '',
      argsJson: Buffer.alloc(0),
      timeoutMs: 0,
      capability: '',
      wantProgress: false,
      traceparent: '',
      parentCall: '',
    });
  });

  it('skips fields it does not know and rejects truncated frames', () => {
    // Field 15 (varint) and field 14 (bytes) before a call: an encoder from a newer contract.
    const unknown = Buffer.from([15 << 3, 0x96, 0x01, (14 << 3) | 2, 2, 0xff, 0xff]);
    const frame = decodeCallFrame(Buffer.concat([unknown, encodeCallFrame({ calls: [calls[0]!], cancel: [] })]));
    expect(frame.calls.map((c) => c.name)).toEqual(['echo']);
    const whole = encodeCallFrame({ calls, cancel: [] });
    expect(() => decodeCallFrame(whole.subarray(0, whole.length - 3))).toThrow(RangeError);
  });

  it('the server decoder turns bytes that are no frame into an empty frame saying why, and caps the calls per frame', () => {
    const whole = encodeCallFrame({ calls, cancel: [] });
    expect(decodeCallFrameSafely(whole.subarray(0, whole.length - 3))).toEqual({
      calls: [],
      cancel: [],
      malformed: 'protobuf: length-delimited field runs past its message',
    });
    // Empty calls cost two bytes each on the wire and an object each once decoded.
    const empties = Buffer.alloc(2 * (MAX_DECODED_CALLS + 1));
    for (let i = 0; i < empties.length; i += 2) empties[i] = (1 << 3) | 2;
    expect(decodeCallFrameSafely(empties).malformed).toMatch(/more than 65536 calls/);
    expect(decodeCallFrameSafely(empties.subarray(0, 2 * MAX_DECODED_CALLS)).calls).toHaveLength(MAX_DECODED_CALLS);
  });
});

describe('ResultFrame codec', () => {
  const frame: OutgoingResultFrame = {
    results: [
      { id: 1, result: { contentType: 'application/json', data: '{"x":1}' } },
      { id: 2, result: { contentType: 'image/png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47]) } },
      { id: 3, result: { contentType: '', data: '' } },
      {
        id: 4,
        error: {
          code: 'NOT_FOUND',
          message: 'no query named "ech"',
          parameter: '',
          suggestions: ['echo', 'testmodule.echo'],
          analytic: '',
          grpcStatus: 5,
        },
      },
    ],
    progress: [
      { id: 7, fraction: 0.5, message: 'half way' },
      { id: 8, fraction: 0, message: '' },
    ],
  };

  it('writes what protobufjs reads (an empty result still counts as a result)', () => {
    const decoded = refDecodeResults(encodeResultFrame(frame));
    const results = decoded.results as Record<string, unknown>[];
    expect(results.map((r) => r.outcome)).toEqual(['result', 'result', 'result', 'error']);
    expect(Buffer.from((results[0]!.result as { data: Buffer }).data).toString()).toBe('{"x":1}');
    expect(results[3]!.error).toMatchObject({ code: 'NOT_FOUND', suggestions: ['echo', 'testmodule.echo'], grpcStatus: 5 });
    expect(decoded.progress).toEqual([
      { id: 7, fraction: 0.5, message: 'half way' },
      { id: 8, fraction: 0, message: '' },
    ]);
  });

  it('reads what protobufjs writes', () => {
    const bytes = refEncodeResults({
      results: frame.results.map((r) =>
        r.result === undefined ? r : { id: r.id, result: { ...r.result, data: Buffer.from(r.result.data) } },
      ),
      progress: frame.progress,
    });
    const decoded = decodeResultFrame(bytes);
    expect(decoded.results.map((r) => [r.id, r.result?.contentType ?? null, r.error?.code ?? null])).toEqual([
      [1, 'application/json', null],
      [2, 'image/png', null],
      [3, '', null],
      [4, null, 'NOT_FOUND'],
    ]);
    expect(decoded.results[1]!.result!.data).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(decoded.results[3]!.error!.suggestions).toEqual(['echo', 'testmodule.echo']);
    expect(decoded.progress).toEqual(frame.progress);
  });

  it('round-trips a large result without changing a byte', () => {
    const big = Buffer.alloc(1 << 20, 7);
    const decoded = decodeResultFrame(
      encodeResultFrame({ results: [{ id: 1, result: { contentType: 'image/png', data: big } }], progress: [] }),
    );
    expect(Buffer.from(decoded.results[0]!.result!.data).equals(big)).toBe(true);
  });
});
