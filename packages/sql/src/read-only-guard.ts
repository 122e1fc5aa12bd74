/**
 * A first, lexical line of defence: a module's statement must be a read. The read-only
 * transaction and the operator's read-only user are the real boundary (MySQL runs DDL outside
 * any transaction, and `SELECT ... INTO OUTFILE` writes on the server), so this refuses early,
 * with a message that names the keyword, what those layers might let through.
 */
import { InsightsError } from '@insights/sdk';

const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'SHOW', 'EXPLAIN', 'VALUES', 'TABLE', 'DESCRIBE', 'DESC']);
const SIDE_EFFECTS =
  /\bINTO\s+(OUTFILE|DUMPFILE)\b|\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b|\bLOCK\s+IN\s+SHARE\s+MODE\b/i;

/** The statement without leading comments and whitespace. */
function stripLeadingComments(text: string): string {
  let s = text;
  for (;;) {
    const t = s.trimStart();
    if (t.startsWith('--') || t.startsWith('#')) {
      const nl = t.indexOf('\n');
      s = nl < 0 ? '' : t.slice(nl + 1);
    } else if (t.startsWith('/*')) {
      const end = t.indexOf('*/');
      s = end < 0 ? '' : t.slice(end + 2);
    } else return t;
  }
}

export function assertReadStatement(source: string, text: string): void {
  const body = stripLeadingComments(text);
  const keyword = /^[A-Za-z]+/.exec(body)?.[0]?.toUpperCase() ?? '';
  if (!READ_KEYWORDS.has(keyword))
    throw new InsightsError(
      'PERMISSION_DENIED',
      `sql source "${source}" is read-only: a statement must be a read (SELECT, WITH, SHOW, EXPLAIN), not ${keyword || 'an empty statement'}`,
      { parameter: 'sql' },
    );
  const side = SIDE_EFFECTS.exec(body);
  if (side !== null)
    throw new InsightsError(
      'PERMISSION_DENIED',
      `sql source "${source}" is read-only: "${side[0]}" is not allowed in a module's statement`,
      {
        parameter: 'sql',
      },
    );
}
