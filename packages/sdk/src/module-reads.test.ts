import { describe, expect, it } from 'vitest';
import { defineModule } from './module.ts';

describe('defineModule - reads of other modules', () => {
  it('keeps the declared collections, frozen; none by default', () => {
    const m = defineModule({ name: 'dash', reads: { 'video-engagement': ['segments'] } });
    expect(m.reads).toEqual({ 'video-engagement': ['segments'] });
    expect(Object.isFrozen(m.reads?.['video-engagement'])).toBe(true);
    expect(defineModule({ name: 'plain' }).reads).toEqual({});
  });

  it('refuses a bad module name, its own name, and an empty or malformed collection list', () => {
    expect(() => defineModule({ name: 'dash', reads: { '../x': ['a'] } })).toThrow(/not a module name/);
    expect(() => defineModule({ name: 'dash', reads: { dash: ['a'] } })).toThrow(/its own data through ctx.db/);
    expect(() => defineModule({ name: 'dash', reads: { video: [] } })).toThrow(/must list the collection names/);
    expect(() => defineModule({ name: 'dash', reads: { video: ['$cmd'] } })).toThrow(/must list the collection names/);
  });
});
