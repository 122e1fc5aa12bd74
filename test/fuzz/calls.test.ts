import path from 'node:path';
import fc from 'fast-check';
import { ERROR_CODES } from '@insights/sdk';
import { encodeCallFrame, kindToWire, type OutgoingCallFrame } from '@insights/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_MODULES } from '../support/tmp.ts';
import { RawNode } from './raw-node.ts';
import { expectCoded, fuzzParameters, fuzzTimeoutMs, hostileJson, mutated, startFuzzNode, type FuzzNode } from './support.ts';

const names = fc.oneof(
  fc.constantFrom('echo.course_report', 'echo.course_histogram', 'course_report', 'echo.admin_secret', 'echo.nope', ''),
  fc.string({ maxLength: 80 }),
);
// Non-negative: the hand-written encoder writes what clients send (negative enums reach the node only as mutated bytes, below).
const kinds = fc.oneof(fc.constantFrom(kindToWire('query'), kindToWire('view')), fc.integer({ min: 0, max: 20 }));
const capabilities = fc.oneof(fc.constant(''), fc.string({ maxLength: 100 }), fc.constant('ic1.e30.AAAA'));
const streamCall = fc.record({
  id: fc.nat({ max: 1_000_000 }),
  kind: kinds,
  name: names,
  argsJson: hostileJson,
  timeoutMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5_000 }), fc.nat()),
  capability: capabilities,
  wantProgress: fc.boolean(),
  traceparent: fc.oneof(fc.constant(''), fc.string({ maxLength: 60 })),
});
const frame: fc.Arbitrary<OutgoingCallFrame> = fc.record({
  calls: fc.array(streamCall, { maxLength: 40 }),
  cancel: fc.array(fc.nat({ max: 1_000_000 }), { maxLength: 5 }),
});

/** Random and mutated calls, frames and HTTP bodies against a real node process: no crash, no unbounded memory, every refusal coded. */
describe('fuzz - calls (unary, CallStream frames, HTTP bodies)', () => {
  let fuzz: FuzzNode;
  let raw: RawNode;
  beforeAll(async () => {
    fuzz = await startFuzzNode(['--module', path.join(FIXTURE_MODULES, 'echo')]);
    raw = new RawNode(fuzz.node.ready.grpc);
  });
  afterAll(async () => {
    raw?.close();
    await fuzz?.stop();
  });

  it(
    'unary Call with random kinds, names, capabilities and argument bytes',
    async () => {
      await fc.assert(
        fc.asyncProperty(kinds, names, hostileJson, capabilities, async (kind, name, argsJson, capability) => {
          expectCoded(await raw.call({ kind, name, argsJson, capability }), `Call ${name}`);
        }),
        fuzzParameters(),
      );
      await fuzz.expectHealthy();
      fuzz.expectMemoryBounded();
    },
    fuzzTimeoutMs(),
  );

  it(
    'CallStream with random frames: every answer coded, the stream ends cleanly',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 3 }), async (frames) => {
          const { results, stream } = await raw.stream(frames);
          expect(stream).toEqual({ ok: true });
          for (const [id, a] of results) expectCoded(a, `call ${id}`);
        }),
        fuzzParameters(),
      );
      await fuzz.expectHealthy();
      fuzz.expectMemoryBounded();
    },
    fuzzTimeoutMs(),
  );

  it(
    'CallStream with mutated frame bytes: refused INVALID_ARGUMENT (undecodable) or answered coded',
    async () => {
      const validBytes = frame.map((f) => new Uint8Array(encodeCallFrame(f)));
      await fc.assert(
        fc.asyncProperty(mutated(validBytes), async (bytes) => {
          const { results, stream } = await raw.stream([bytes]);
          // A frame the node cannot decode ends the stream INVALID_ARGUMENT.
          expectCoded(stream, 'stream');
          for (const [id, a] of results) expectCoded(a, `call ${id}`);
        }),
        fuzzParameters(),
      );
      await fuzz.expectHealthy();
      fuzz.expectMemoryBounded();
    },
    fuzzTimeoutMs(),
  );

  it(
    'HTTP: random methods, paths, content types and bodies get a status and, when refused, a coded error',
    async () => {
      const request = fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT'),
        path: fc.oneof(
          fc.constantFrom('/query/echo.course_report', '/view/echo.course_report', '/property/x', '/events', '/schema'),
          fc.string({ maxLength: 40 }).map((s) => `/query/${encodeURIComponent(s)}`),
        ),
        query: fc.oneof(fc.constant(''), fc.constantFrom('?course=c', '?_timeout=99999999999', '?_timeout=-1&course=%00')),
        contentType: fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
        ),
        body: hostileJson,
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const res = await fetch(`http://${fuzz.node.ready.http}${r.path}${r.query}`, {
            method: r.method,
            headers: { 'content-type': r.contentType },
            ...(r.method === 'GET' ? {} : { body: new Uint8Array(r.body) }),
          });
          const text = await res.text();
          expect(res.status, text).not.toBe(500);
          if (res.status >= 400) {
            const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
            expect(Object.keys(ERROR_CODES), `${r.method} ${r.path}: ${text}`).toContain(code);
          }
        }),
        fuzzParameters(),
      );
      await fuzz.expectHealthy();
      fuzz.expectMemoryBounded();
    },
    fuzzTimeoutMs(),
  );
});
