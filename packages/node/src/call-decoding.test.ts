import { describe, expect, it } from 'vitest';
import { callDeadline, parseArgsJson } from './call-decoding.ts';

describe('call decoding - limits before the module', () => {
  it('parses arguments within the limits; refuses deep ones INVALID_ARGUMENT and large ones RESOURCE_EXHAUSTED, naming the setting', () => {
    const limits = { maxBytes: 100, maxDepth: 3 };
    expect(parseArgsJson(Buffer.from('{"a":[1]}'), limits)).toEqual({ a: [1] });
    expect(parseArgsJson(Buffer.alloc(0), limits)).toEqual({});
    expect(() => parseArgsJson(Buffer.from('{"a":[[[]]]}'), limits)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        parameter: 'args_json',
        message: expect.stringMatching(/limits\.maxJsonDepth/),
      }),
    );
    expect(() => parseArgsJson(Buffer.from(`"${'x'.repeat(100)}"`), limits)).toThrow(
      expect.objectContaining({ code: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/maxRequestBytes/) }),
    );
  });

  it('turns a timeout into a deadline, none for 0, and refuses one beyond the longest allowed', () => {
    expect(callDeadline(0, 1000, 'timeout_ms')).toBeUndefined();
    expect(callDeadline(500, 1000, 'timeout_ms')).toBeGreaterThan(Date.now());
    expect(() => callDeadline(1001, 1000, 'timeout_ms')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        parameter: 'timeout_ms',
        message: expect.stringMatching(/limits\.maxDeadlineMs/),
      }),
    );
  });
});
