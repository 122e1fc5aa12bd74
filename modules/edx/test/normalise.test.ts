import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBody, normalise, readTrackingLog, tryNormalise } from '../src/lib.ts';
import type { RawEvent } from '../src/lib.ts';
import { FIXTURES } from './helpers.ts';

async function fixtureEvents(file: string): Promise<RawEvent[]> {
  const out: RawEvent[] = [];
  for await (const l of readTrackingLog(path.join(FIXTURES, file))) if (l.kind === 'event') out.push(l.event);
  return out;
}

const json = async (file: string): Promise<RawEvent> => JSON.parse(await readFile(path.join(FIXTURES, file), 'utf8')) as RawEvent;

describe('normalise - tracking-log shapes', () => {
  it('browser event: JSON-string body decoded, naive time read as UTC, course from the page URL', async () => {
    const [play] = await fixtureEvents('tracking-plain.log');
    const e = normalise(play);
    expect(e).toMatchObject({
      source: 'edx',
      type: 'play_video',
      time: '2024-03-01T10:00:00.123Z',
      actor: 'alice',
      course: 'TestX/T101/2024',
      resource: 'i4x-TestX-T101-video-intro',
      payload: { id: 'i4x-TestX-T101-video-intro', code: 'abc', currentTime: 12.5 },
      hops: 0,
    });
    expect(e.raw).toBe(play);
    expect(e.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('server event: object body, actor from context.user_id, course from context', async () => {
    const [, check] = await fixtureEvents('tracking-plain.log');
    expect(normalise(check)).toMatchObject({
      type: 'problem_check',
      actor: '7',
      course: 'course-v1:TestX+T101+2024',
      resource: 'block-v1:TestX+T101+2024+type@problem+block@p1',
      time: '2024-03-01T10:05:00.000Z',
    });
  });

  it('URL-path event: type page_view, path as resource, truncated body kept as text, offset applied', async () => {
    const [, , middleware] = await fixtureEvents('tracking-plain.log');
    const e = normalise(middleware);
    expect(e).toMatchObject({
      type: 'page_view',
      resource: '/courses/course-v1:TestX+T101+2024/courseware/week1/',
      course: 'course-v1:TestX+T101+2024',
      time: '2024-03-01T09:06:00.500Z',
      payload: '{"POST": {}, "GET": {"q": ["trunc',
    });
    expect((e.raw as RawEvent)['event_type']).toBe('/courses/course-v1:TestX+T101+2024/courseware/week1/');
  });

  it('server event without context: actor from username, course from the body', async () => {
    const [, , , enrol] = await fixtureEvents('tracking-plain.log');
    expect(normalise(enrol)).toMatchObject({ actor: 'erin', course: 'TestX/T101/2024', time: '2024-03-01T10:08:00.000Z' });
  });

  it('Tutor lines: `name` is the type; a URL name is a page view', async () => {
    const [graded, dashboard] = await fixtureEvents('tracking-tutor.log');
    expect(normalise(graded)).toMatchObject({
      type: 'edx.grades.problem.submitted',
      actor: '7',
      course: 'course-v1:TestX+T101+2024',
    });
    expect(normalise(dashboard)).toMatchObject({ type: 'page_view', resource: '/dashboard', payload: { POST: {}, GET: {} } });
  });

  it('prefers the current `name` over the legacy `event_type`, and placeholder usernames are no actor', () => {
    const e = normalise({
      name: 'edx.ui.lms.sequence.next_selected',
      event_type: 'seq_next',
      username: 'anonymous',
      event: { user_id: 3 },
      time: '2016-01-01T00:00:00Z',
    });
    expect(e).toMatchObject({ type: 'edx.ui.lms.sequence.next_selected', actor: '3' });
  });

  it('keeps a list body and a non-JSON string body as they are', () => {
    expect(normalise({ event_type: 'problem_graded', event: ['a=1', '<p/>'], time: '2014-01-01T00:00:00' }).payload).toEqual([
      'a=1',
      '<p/>',
    ]);
    expect(normalise({ event_type: 'problem_check', event: 'input_x_2_1=choice_1', time: '2014-01-01T00:00:00' }).payload).toBe(
      'input_x_2_1=choice_1',
    );
    expect(normalise({ event_type: 'page_close', event: '', time: '2014-01-01T00:00:00' }).payload).toBe('');
  });

  it('decodes JSON text bodies, trailing whitespace included, and keeps truncated or malformed ones as text', () => {
    expect(decodeBody(' {"a": [1, 2]} \r\n')).toEqual({ a: [1, 2] });
    expect(decodeBody('[1, {"b": "}"}]\t')).toEqual([1, { b: '}' }]);
    for (const text of ['{"POST": {"a": ["x"', '{"a": 1]', '[1, 2}', '{"a": 1} x', '{', '[', '{}}', '{"a": 1}\u000b'])
      expect(decodeBody(text)).toBe(text);
  });
});

describe('normalise - processed and xAPI shapes', () => {
  it('processed shape (name, timestamp, data, context)', async () => {
    const e = normalise(await json('processed-event.json'));
    expect(e).toMatchObject({
      source: 'edx',
      type: 'play_video',
      time: '2024-03-01T10:00:00.250Z',
      actor: '7',
      course: 'course-v1:TestX+T101+2024',
      resource: 'v1',
      payload: { id: 'v1', currentTime: 12.3456 },
    });
  });

  it('xAPI statement: source xapi, its own id, verb IRI as type, course key from the course activity', async () => {
    const s = await json('xapi-statement.json');
    expect(normalise(s)).toMatchObject({
      id: '2a3b4c5d-0000-4000-8000-000000000001',
      source: 'xapi',
      type: 'https://w3id.org/xapi/video/verbs/played',
      time: '2024-03-01T10:00:00.250Z',
      actor: 'learner-7',
      course: 'course-v1:TestX+T101+2024',
      resource: 'http://lms.test/xblock/block-v1:TestX+T101+2024+type@video+block@v1',
      payload: s,
    });
  });
});

describe('normalise - errors', () => {
  const codeOf = (raw: unknown) => {
    const r = tryNormalise(raw);
    return r.ok ? 'ok' : `${r.error.code} ${r.error.field ?? ''}`.trim();
  };

  it('names the code and the field', () => {
    expect(codeOf([1])).toBe('EDX_NOT_AN_OBJECT');
    expect(codeOf({ time: '2024-01-01T00:00:00' })).toBe('EDX_MISSING_TYPE event_type');
    expect(codeOf({ event_type: '', time: '2024-01-01T00:00:00' })).toBe('EDX_MISSING_TYPE event_type');
    expect(codeOf({ event_type: 'x' })).toBe('EDX_MISSING_TIME time');
    expect(codeOf({ event_type: 'x', time: 'yesterday' })).toBe('EDX_BAD_TIME time');
    expect(codeOf({ name: 'x', timestamp: '2024-02-30T00:00:00Z' })).toBe('EDX_BAD_TIME timestamp');
    expect(codeOf({ actor: {}, verb: {}, object: {}, timestamp: '2024-01-01T00:00:00Z' })).toBe('EDX_MISSING_TYPE verb.id');
  });

  it('normalise throws the same coded error', () => {
    expect(() => normalise({ event_type: 'x', time: 12 })).toThrow(
      expect.objectContaining({ name: 'EdxDataError', code: 'EDX_BAD_TIME', field: 'time' }),
    );
  });
});
