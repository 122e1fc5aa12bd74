import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  computeProperty,
  EDX_EVENT_PROPERTIES,
  edxToXapi,
  EVENT_PROPERTIES,
  normalise,
  XAPI_EVENT_PROPERTIES,
} from '../src/lib.ts';
import type { RawEvent } from '../src/lib.ts';
import { FIXTURES } from './helpers.ts';

const json = async (file: string): Promise<RawEvent> => JSON.parse(await readFile(path.join(FIXTURES, file), 'utf8')) as RawEvent;
const at = (time = '2014-01-01T00:00:00') => ({
  time,
  username: 'u',
  context: { course_id: 'course-v1:TestX+T101+2024', user_id: 5 },
});

describe('event properties - table', () => {
  it('declares name, description and source for every property, unique per source', () => {
    expect(EDX_EVENT_PROPERTIES.map((p) => p.name)).toEqual([
      'tincan.actor',
      'tincan.verb',
      'tincan.object',
      'edx.course_id',
      'edx.problem_id',
      'edx.video_id',
      'edx.video_position',
    ]);
    expect(XAPI_EVENT_PROPERTIES.map((p) => p.name)).toEqual(['tincan.actor', 'tincan.verb', 'tincan.object']);
    for (const p of EVENT_PROPERTIES) expect(p.description.length).toBeGreaterThan(10);
    expect(new Set(EVENT_PROPERTIES.map((p) => `${p.source}/${p.name}`)).size).toBe(EVENT_PROPERTIES.length);
  });
});

describe('event properties - edx', () => {
  it('video position: currentTime for play and pause, new_time for seek, duration for completion', () => {
    const v = (type: string, event: unknown) =>
      computeProperty('edx.video_position', normalise({ ...at(), event_type: type, event }));
    expect(v('play_video', '{"id": "v", "currentTime": 12.5}')).toBe(12.5);
    expect(v('pause_video', { id: 'v', currentTime: '3.25' })).toBe(3.25);
    expect(v('seek_video', { id: 'v', old_time: 10, new_time: 42, type: 'onSlideSeek' })).toBe(42);
    expect(v('edx.video.position.changed', { id: 'v', old_time: 10, new_time: 7 })).toBe(7);
    expect(v('complete_video', { id: 'v', duration: 195 })).toBe(195);
    expect(v('problem_check', { currentTime: 1 })).toBeUndefined();
  });

  it('video id only for video events', () => {
    const id = (type: string) =>
      computeProperty('edx.video_id', normalise({ ...at(), event_type: type, event: { id: 'i4x-TestX-T101-video-intro' } }));
    expect(id('load_video')).toBe('i4x-TestX-T101-video-intro');
    expect(id('edx.video.closed_captions.shown')).toBe('i4x-TestX-T101-video-intro');
    expect(id('edx.forum.thread.created')).toBeUndefined();
  });

  it('problem id from the body, the context module, or browser inputs', () => {
    const p = (event: RawEvent) => computeProperty('edx.problem_id', normalise({ ...at(), ...event }));
    expect(p({ event_type: 'problem_check', event: { problem_id: 'i4x://TestX/T101/problem/p1' } })).toBe(
      'i4x://TestX/T101/problem/p1',
    );
    expect(
      p({
        event_type: 'problem_check',
        event: {},
        context: { module: { usage_key: 'block-v1:TestX+T101+2024+type@problem+block@p2' } },
      }),
    ).toBe('block-v1:TestX+T101+2024+type@problem+block@p2');
    expect(
      p({
        event_type: 'problem_check',
        event: 'input_i4x-TestX-T101-problem-p3_2_1=choice_1&input_i4x-TestX-T101-problem-p3_3_1=x',
      }),
    ).toBe('i4x://TestX/T101/problem/p3');
    expect(
      p({ event_type: 'problem_graded', event: ['input_0123456789abcdef0123456789abcdef_2_1%5B%5D=choice_0', '<div/>'] }),
    ).toBe('block-v1:TestX+T101+2024+type@problem+block@0123456789abcdef0123456789abcdef');
    expect(p({ event_type: 'page_close', event: '' })).toBeUndefined();
  });

  it('tincan.verb is the xAPI verb where Open edX has one, else the event type', () => {
    const verb = (raw: RawEvent) => computeProperty('tincan.verb', normalise({ ...at(), ...raw }));
    expect(verb({ event_type: 'problem_check', event_source: 'browser', event: 'input_x_2_1=1' })).toBe(
      'http://adlnet.gov/expapi/verbs/attempted',
    );
    expect(verb({ event_type: 'problem_check', event_source: 'server', event: {} })).toBe(
      'https://w3id.org/xapi/acrossx/verbs/evaluated',
    );
    expect(verb({ event_type: 'page_close', event: '' })).toBe('page_close');
    expect(verb({ event_type: '/dashboard', event: '{}' })).toBe('page_view');
  });

  it('an unknown name or a source without that property gives undefined', () => {
    const e = normalise({ ...at(), event_type: 'x', event: {} });
    expect(computeProperty('nope', e)).toBeUndefined();
    expect(computeProperty('edx.video_id', { ...e, source: 'xapi' })).toBeUndefined();
  });
});

describe('event properties - dispatch by source', () => {
  it('tincan.* agree between an edX event and the xAPI statement made from it', async () => {
    const event = await json('processed-event.json');
    const statement = edxToXapi(event, { lmsRootUrl: 'http://lms.test', actorId: (u) => u });
    const edx = normalise(event);
    const xapi = normalise(statement);
    expect(xapi.source).toBe('xapi');
    expect(computeProperty('tincan.verb', edx)).toBe('https://w3id.org/xapi/video/verbs/played');
    expect(computeProperty('tincan.verb', xapi)).toBe('https://w3id.org/xapi/video/verbs/played');
    expect(computeProperty('tincan.actor', edx)).toBe('7');
    expect(computeProperty('tincan.actor', xapi)).toBe('7');
    expect(computeProperty('tincan.object', edx)).toBe('v1');
    expect(computeProperty('tincan.object', xapi)).toBe('http://lms.test/xblock/block-v1:TestX+T101+2024+type@video+block@v1');
  });

  it('reads the own xAPI fixture', async () => {
    const e = normalise(await json('xapi-statement.json'));
    expect(['tincan.actor', 'tincan.verb', 'tincan.object'].map((n) => computeProperty(n, e))).toEqual([
      'learner-7',
      'https://w3id.org/xapi/video/verbs/played',
      'http://lms.test/xblock/block-v1:TestX+T101+2024+type@video+block@v1',
    ]);
  });
});
