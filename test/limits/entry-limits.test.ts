import path from 'node:path';
import { kindToWire } from '@insights/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES } from '../support/tmp.ts';
import { RawNode } from '../fuzz/raw-node.ts';

const call = (id: number, extra: Record<string, unknown> = {}) => ({
  id,
  kind: kindToWire('query'),
  name: 'echo.course_report',
  argsJson: '{"course":"c"}',
  timeoutMs: 5000,
  capability: '',
  wantProgress: false,
  traceparent: '',
  ...extra,
});

/** Each limit of `limits.*` refuses with a code and names itself; what is within the limits is served. */
describe('limits - at every call entry', () => {
  let node: TestNode;
  let raw: RawNode;
  beforeAll(async () => {
    node = await startTestNode({
      defaultIsolation: 'inline',
      modules: [path.join(FIXTURE_MODULES, 'echo'), path.join(FIXTURE_MODULES, 'slow')],
      limits: { maxCallsPerFrame: 10, maxFramesInFlightPerStream: 2, maxDeadlineMs: 60_000, maxJsonDepth: 8 },
    });
    raw = new RawNode(node.grpcAddress);
  });
  afterAll(async () => {
    raw.close();
    await node.stop();
  });

  it('CallStream: a frame over maxCallsPerFrame is refused call by call; the next frame is served', async () => {
    const { results, stream } = await raw.stream([
      { calls: Array.from({ length: 11 }, (_, i) => call(i)), cancel: [] },
      { calls: [call(100)], cancel: [] },
    ]);
    expect(stream).toEqual({ ok: true });
    expect(results.get(0)).toMatchObject({
      ok: false,
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(/limits\.maxCallsPerFrame/),
    });
    expect(results.size).toBe(12);
    expect(results.get(100)).toEqual({ ok: true });
  });

  it('CallStream: frames beyond maxFramesInFlightPerStream are refused while the others run', async () => {
    const sleep = (id: number) => call(id, { name: 'slow.sleep', argsJson: '{"ms":500}' });
    const { results } = await raw.stream([
      { calls: [sleep(1)], cancel: [] },
      { calls: [sleep(2)], cancel: [] },
      { calls: [call(3)], cancel: [] },
    ]);
    expect(results.get(1)).toEqual({ ok: true });
    expect(results.get(2)).toEqual({ ok: true });
    expect(results.get(3)).toMatchObject({
      ok: false,
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(/limits\.maxFramesInFlightPerStream/),
    });
  });

  it('a deadline longer than maxDeadlineMs and arguments deeper than maxJsonDepth fail at once, naming the limit', async () => {
    const { results } = await raw.stream([
      {
        calls: [call(1, { timeoutMs: 61_000 }), call(2, { argsJson: `{"course":${'['.repeat(9)}${']'.repeat(9)}}` })],
        cancel: [],
      },
    ]);
    expect(results.get(1)).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/limits\.maxDeadlineMs/),
    });
    expect(results.get(2)).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/limits\.maxJsonDepth/),
    });
    const unary = await raw.call(
      { kind: kindToWire('query'), name: 'echo.course_report', argsJson: Buffer.from('{"course":"c"}') },
      120_000,
    );
    expect(unary).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: expect.stringMatching(/limits\.maxDeadlineMs/) });
  });

  it('HTTP: deep JSON bodies and long _timeout are refused with the limit named; events too', async () => {
    const base = `http://${node.httpAddress}`;
    const deep = await fetch(`${base}/query/echo.course_report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"course":${'['.repeat(20)}${']'.repeat(20)}}`,
    });
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/limits\.maxJsonDepth/) },
    });
    const long = await fetch(`${base}/query/echo.course_report?course=c&_timeout=600000`);
    expect(await long.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', parameter: '_timeout' } });
    const events = await fetch(`${base}/events`, { method: 'POST', body: `[${'['.repeat(20)}${']'.repeat(20)}]` });
    expect(await events.json()).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/limits\.maxJsonDepth/) },
    });
    expect((await fetch(`${base}/query/echo.course_report?course=c`)).status).toBe(200);
  });
});
