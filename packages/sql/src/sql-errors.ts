/**
 * Driver errors as mesh errors. The module sees what went wrong and what to do; it never sees
 * the source's address or credentials (drivers do not put them in these messages).
 */
import { InsightsError, isInsightsError } from '@insights/sdk';

/** PostgreSQL SQLSTATEs and MySQL/MariaDB errnos we explain. */
const READ_ONLY = new Set(['25006', '1792']);
const DENIED = new Set(['42501', '1142', '1143', '1227', '1044']);
const TIMEOUT = new Set(['57014', '1969', '3024', '1317']);
const BAD_STATEMENT = /^(42|22)|^(1064|1054|1146|1049|1109|1210|1241|1052)$/;
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  '57P01',
  '08006',
  '08001',
]);

export function sqlError(source: string, e: unknown): InsightsError {
  if (isInsightsError(e)) return e;
  const err = e as { code?: unknown; errno?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const errno = typeof err.errno === 'number' ? String(err.errno) : '';
  const detail = typeof err.message === 'string' ? err.message : String(e);
  const is = (set: ReadonlySet<string>) => set.has(code) || set.has(errno);
  if (is(READ_ONLY))
    return new InsightsError('PERMISSION_DENIED', `sql source "${source}" is read-only: only reads are allowed (${detail})`, {
      cause: e,
    });
  if (is(DENIED))
    return new InsightsError('PERMISSION_DENIED', `sql source "${source}" refused the statement: ${detail}`, { cause: e });
  if (is(TIMEOUT))
    return new InsightsError(
      'DEADLINE_EXCEEDED',
      `sql source "${source}": the statement ran past its deadline and was cancelled`,
      {
        cause: e,
      },
    );
  if (is(UNREACHABLE))
    return new InsightsError('UNAVAILABLE', `sql source "${source}" is unreachable (${code || errno}); try again later`, {
      cause: e,
    });
  if (BAD_STATEMENT.test(code) || BAD_STATEMENT.test(errno))
    return new InsightsError('INVALID_ARGUMENT', `sql source "${source}": ${detail}`, { parameter: 'sql', cause: e });
  return new InsightsError('INTERNAL', `sql source "${source}" failed: ${detail}`, { cause: e });
}

export function deadlineError(source: string): InsightsError {
  return new InsightsError('DEADLINE_EXCEEDED', `sql source "${source}": the statement ran past its deadline and was cancelled`);
}

export function cancelledError(source: string): InsightsError {
  return new InsightsError('CANCELLED', `sql source "${source}": the caller went away; the statement was cancelled`);
}
