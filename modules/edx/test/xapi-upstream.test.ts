/**
 * Every event-routing-backends fixture pair (edx-events/X.json -> xapi-expected/X.json, 77 of the
 * 81 events have one) must convert to exactly the expected statement(s).
 *
 * Excluded fields: none. The fields upstream's test fixes by configuration are supplied through
 * the same configuration (UPSTREAM_TEST_OPTIONS): LMS_ROOT_URL, the mocked actor UUID, the mocked
 * course display name and the test transformer version. Statement ids are not excluded either:
 * they are uuid5 of the verb, actor and timestamp exactly as upstream computes them.
 * As upstream's test does, an event whose file name contains "anonymous" must be refused
 * (upstream raises ValueError; we raise XAPI_MISSING_FIELD) instead of matching its expected file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { edxToXapi, isEdxDataError } from '../src/lib.ts';
import { HAS_REAL_DATA, NO_REAL_DATA_MESSAGE, REAL_DATA, UPSTREAM_TEST_OPTIONS } from './helpers.ts';

const ERB = path.join(REAL_DATA, 'event-routing-backends');
const pairs = HAS_REAL_DATA
  ? readdirSync(path.join(ERB, 'edx-events'))
      .filter((f) => f.endsWith('.json') && existsSync(path.join(ERB, 'xapi-expected', f)))
      .sort()
  : [];
const readJson = (...p: string[]): unknown => JSON.parse(readFileSync(path.join(ERB, ...p), 'utf8'));

/** Every leaf that differs, as `path: got X, want Y`. */
function differences(got: unknown, want: unknown, at = '', out: string[] = []): string[] {
  if (isDeepStrictEqual(got, want)) return out;
  if (
    got !== null &&
    want !== null &&
    typeof got === 'object' &&
    typeof want === 'object' &&
    Array.isArray(got) === Array.isArray(want)
  ) {
    for (const k of new Set([...Object.keys(got), ...Object.keys(want)])) {
      differences((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${at}.${k}`, out);
    }
  } else {
    out.push(`${at || '(root)'}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  return out;
}

describe.skipIf(!HAS_REAL_DATA)('xAPI - event-routing-backends fixtures', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});

  it('finds the 77 fixture pairs', () => {
    expect(pairs).toHaveLength(77);
  });

  it.each(pairs)('%s', (file) => {
    const event = readJson('edx-events', file) as Record<string, unknown>;
    if (file.includes('anonymous')) {
      let error: unknown;
      try {
        edxToXapi(event, UPSTREAM_TEST_OPTIONS);
      } catch (e) {
        error = e;
      }
      expect(isEdxDataError(error) ? error.code : error).toBe('XAPI_MISSING_FIELD');
      return;
    }
    // Through JSON, as upstream compares `to_json()` output: undefined members vanish.
    const got: unknown = JSON.parse(JSON.stringify(edxToXapi(event, UPSTREAM_TEST_OPTIONS)));
    const diff = differences(got, readJson('xapi-expected', file));
    expect(diff, `${file} differs from the expected statement:\n  ${diff.join('\n  ')}`).toEqual([]);
  });

  it('converts or cleanly refuses the four events without an expected statement', () => {
    const lonely = readdirSync(path.join(ERB, 'edx-events')).filter((f) => !existsSync(path.join(ERB, 'xapi-expected', f)));
    expect(lonely).toHaveLength(4);
    for (const file of lonely) {
      expect(() => edxToXapi(readJson('edx-events', file) as Record<string, unknown>, UPSTREAM_TEST_OPTIONS), file).not.toThrow();
    }
  });
});
