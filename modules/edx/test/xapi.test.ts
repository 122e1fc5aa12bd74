import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edxToXapi, fromTrackingLog, isEdxDataError, XAPI_SUPPORTED_EVENTS, xapiVerbOf } from '../src/lib.ts';
import type { RawEvent, XapiStatement } from '../src/lib.ts';
import { FIXTURES } from './helpers.ts';

const options = { lmsRootUrl: 'http://lms.test/', actorId: (u: string) => `learner-${u}` };
const processed = async (): Promise<RawEvent> =>
  JSON.parse(await readFile(path.join(FIXTURES, 'processed-event.json'), 'utf8')) as RawEvent;

function single(s: XapiStatement | XapiStatement[]): XapiStatement {
  if (Array.isArray(s)) throw new Error('expected one statement');
  return s;
}

describe('xAPI - our own fixtures', () => {
  it('converts a browser play_video event; the id equals the one Open edX computes', async () => {
    const s = single(edxToXapi(await processed(), options));
    expect(s).toEqual({
      // uuid5 computed independently with Python tincan for this actor, verb and timestamp.
      id: 'dd2d7f5b-2e56-5636-a666-7669766d9ee2',
      version: '1.0.3',
      actor: { objectType: 'Agent', account: { homePage: 'http://lms.test', name: 'learner-7' } },
      verb: { id: 'https://w3id.org/xapi/video/verbs/played', display: { en: 'played' } },
      object: {
        objectType: 'Activity',
        id: 'http://lms.test/xblock/block-v1:TestX+T101+2024+type@video+block@v1',
        definition: { type: 'https://w3id.org/xapi/video/activity-type/video' },
      },
      result: { extensions: { 'https://w3id.org/xapi/video/extensions/time': 12.346 } },
      context: {
        contextActivities: {
          parent: [
            {
              objectType: 'Activity',
              id: 'http://lms.test/course/course-v1:TestX+T101+2024',
              definition: { type: 'http://adlnet.gov/expapi/activities/course' },
            },
          ],
        },
        extensions: {
          'https://w3id.org/xapi/openedx/extension/transformer-version': '@insights/module-edx@0.1.0',
          'https://w3id.org/xapi/openedx/extensions/session-id': 's-1',
          'https://w3id.org/xapi/video/extensions/length': 75,
        },
      },
      timestamp: '2024-03-01T10:00:00.250000+00:00',
    });
  });

  it('adds the course name when the caller knows it', async () => {
    const s = single(edxToXapi(await processed(), { ...options, courseName: () => 'Test course' }));
    expect(s.context?.contextActivities?.parent?.[0]?.definition?.name).toEqual({ 'en-US': 'Test course' });
  });

  it('converts a tracking-log line after fromTrackingLog (data = decoded event, timestamp = time)', () => {
    const line = {
      username: 'bob',
      event_type: 'play_video',
      event_source: 'browser',
      event: '{"id": "v1", "currentTime": 3}',
      context: { course_id: 'course-v1:TestX+T101+2024', user_id: 7 },
      time: '2024-03-01T10:00:00+00:00',
    };
    const s = single(edxToXapi(fromTrackingLog(line), options));
    expect(s.verb.id).toBe('https://w3id.org/xapi/video/verbs/played');
    expect(s.result?.extensions).toEqual({ 'https://w3id.org/xapi/video/extensions/time': 3 });
    expect(s.timestamp).toBe('2024-03-01T10:00:00+00:00');
  });

  it('splits a multi-question problem_check into a parent GroupActivity and one child per question', () => {
    const event = {
      name: 'problem_check',
      timestamp: '2024-03-01T10:00:00+00:00',
      context: { course_id: 'course-v1:TestX+T101+2024', user_id: 7, event_source: 'server', referer: 'http://lms.test/x' },
      data: {
        problem_id: 'block-v1:TestX+T101+2024+type@problem+block@p1',
        grade: 1,
        max_grade: 2,
        submission: {
          p1_2_1: { answer: 'blue', correct: true, question: 'Colour?', response_type: 'stringresponse' },
          p1_3_1: { answer: ['a', 'b'], correct: false, question: 'Letters?', response_type: 'choiceresponse' },
        },
      },
    };
    const all = edxToXapi(event, options);
    if (!Array.isArray(all)) throw new Error('expected parent and children');
    const [parent, first, second] = all;
    expect(all).toHaveLength(3);
    expect(parent?.object).toMatchObject({ objectType: 'GroupActivity', definition: { interactionType: 'other' } });
    expect(parent?.result).toEqual({ success: true, score: { min: 0, max: 2, raw: 1, scaled: 0.5 }, response: 'blue' });
    expect(first?.object.id).toBe('http://lms.test/xblock/block-v1:TestX+T101+2024+type@problem+block@p1_2_1');
    expect(second?.result).toEqual({ success: false, response: '["a", "b"]' });
    expect(second?.context?.statement).toEqual({ objectType: 'StatementRef', id: parent?.id });
    expect(new Set(all.map((s) => s.id)).size).toBe(3);
  });

  it('refuses unsupported and anonymous events with coded errors', async () => {
    expect(() => edxToXapi({ name: 'page_close' }, options)).toThrow(expect.objectContaining({ code: 'XAPI_UNSUPPORTED_EVENT' }));
    const anonymous = await processed();
    anonymous['context'] = { course_id: 'course-v1:TestX+T101+2024' };
    let error: unknown;
    try {
      edxToXapi(anonymous, options);
    } catch (e) {
      error = e;
    }
    expect(isEdxDataError(error) && error.code).toBe('XAPI_MISSING_FIELD');
  });

  it('knows the verb of every supported event without options', () => {
    expect(XAPI_SUPPORTED_EVENTS.length).toBeGreaterThan(50);
    expect(xapiVerbOf({ name: 'problem_check', context: { event_source: 'browser' } })?.id).toBe(
      'http://adlnet.gov/expapi/verbs/attempted',
    );
    expect(xapiVerbOf({ name: 'problem_check', event_source: 'server' })?.id).toBe(
      'https://w3id.org/xapi/acrossx/verbs/evaluated',
    );
    expect(xapiVerbOf({ name: 'nope' })).toBeUndefined();
  });
});
