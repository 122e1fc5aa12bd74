import { z } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import { compileParams } from './params.ts';

describe('params - validation names the parameter', () => {
  const p = compileParams('m.q', {
    course: z.string().min(1).describe('Course id'),
    week: z.number().int().default(1),
    tags: z.array(z.string()).optional(),
  });

  it('applies defaults and exposes JSON Schema with defaulted parameters optional', () => {
    expect(p.parse({ course: 'c' })).toEqual({ course: 'c', week: 1 });
    expect(p.jsonSchema).toMatchObject({
      type: 'object',
      required: ['course'],
      properties: { course: { type: 'string', description: 'Course id' }, week: { type: 'integer', default: 1 } },
    });
  });

  it.each([
    [{}, 'course', /missing required parameter/],
    [{ course: 'c', week: 'three' }, 'week', /number/],
    [{ course: 'c', extra: 1 }, 'extra', /unknown parameter "extra"; its parameters are: course, week, tags/],
    [{ course: 'c', tags: [1] }, 'tags.0', /string/],
  ])('%j -> INVALID_ARGUMENT on %s', (args, parameter, message) => {
    let err: unknown;
    try {
      p.parse(args);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', parameter });
    expect((err as Error).message).toMatch(message);
  });

  it('rejects non-object arguments', () => {
    expect(() => p.parse([1])).toThrow(/JSON object/);
  });
});
