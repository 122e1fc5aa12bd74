import { describe, expect, it } from 'vitest';
import { EDX_ERROR_CODES, EdxDataError, isEdxDataError } from '../src/lib.ts';

describe('errors - the list of codes', () => {
  it('lists every code this module raises', () => {
    expect(Object.keys(EDX_ERROR_CODES).sort()).toEqual([
      'EDX_BAD_TIME',
      'EDX_MISSING_TIME',
      'EDX_MISSING_TYPE',
      'EDX_NOT_AN_OBJECT',
      'XAPI_MISSING_FIELD',
      'XAPI_UNSUPPORTED_EVENT',
    ]);
  });

  it('recognises errors by name and code, not instanceof', () => {
    const e = new EdxDataError('EDX_BAD_TIME', 'bad', { field: 'time' });
    expect(e).toMatchObject({ name: 'EdxDataError', code: 'EDX_BAD_TIME', field: 'time', message: 'bad' });
    expect(isEdxDataError(e)).toBe(true);
    expect(isEdxDataError({ name: 'EdxDataError', code: 'EDX_BAD_TIME' })).toBe(true); // a copy from another package instance
    expect(isEdxDataError({ name: 'EdxDataError', code: 'NOPE' })).toBe(false);
    expect(isEdxDataError(new Error('x'))).toBe(false);
  });
});
