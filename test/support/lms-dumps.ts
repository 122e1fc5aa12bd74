/**
 * The real LMS table dumps in ../shared/data/lms-mysql (the ones edx-analytics-pipeline's
 * acceptance tests load into their read replica), loaded into a test MariaDB, and read back by a
 * tiny parser of their INSERT tuples so tests can count by hand, independently of SQL.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SqlServer } from './sql-servers.ts';
import { REPO_ROOT } from './tmp.ts';

/** shared/ sits beside the repository (as CI lays it out); INSIGHTS_SHARED_DIR points elsewhere. */
export const LMS_DUMPS = path.join(
  process.env.INSIGHTS_SHARED_DIR ?? path.resolve(REPO_ROOT, '..', 'shared'),
  'data',
  'lms-mysql',
);
export const NO_LMS_DUMPS = !existsSync(LMS_DUMPS);
if (NO_LMS_DUMPS) console.warn(`the LMS table dumps are not at ${LMS_DUMPS}: the LMS replica tests are skipped`);

/** Loads every `load_*.sql` dump into the server's database, and the histogram dump into `analytics`. */
export async function loadLmsDumps(server: SqlServer): Promise<void> {
  for (const f of readdirSync(LMS_DUMPS)
    .filter((f) => f.startsWith('load_') && f.endsWith('.sql'))
    .sort())
    await server.admin(readFileSync(path.join(LMS_DUMPS, f), 'utf8'));
  await server.admin(
    [
      'CREATE DATABASE analytics;',
      'USE analytics;',
      readFileSync(path.join(LMS_DUMPS, 'courseware_studentmodule_for_histograms.sql'), 'utf8'),
      `GRANT SELECT ON analytics.* TO '${server.readOnly.user}'@'%';`,
    ].join('\n'),
  );
}

type Value = string | number | null;

/** The rows of every `INSERT INTO \`table\` VALUES (...),(...)` in a dump, as arrays of values. */
export function dumpRows(file: string, table: string): Value[][] {
  const text = readFileSync(path.join(LMS_DUMPS, file), 'utf8');
  const rows: Value[][] = [];
  const marker = `INSERT INTO \`${table}\` VALUES `;
  let at = text.indexOf(marker);
  while (at >= 0) {
    let i = at + marker.length;
    for (;;) {
      if (text[i] !== '(') break;
      i++;
      const row: Value[] = [];
      for (;;) {
        if (text[i] === "'") {
          let s = '';
          i++;
          while (text[i] !== "'") {
            if (text[i] === '\\') i++;
            s += text[i++];
          }
          i++;
          row.push(s);
        } else {
          const end = Math.min(...[',', ')'].map((c) => text.indexOf(c, i)).filter((n) => n >= 0));
          const raw = text.slice(i, end);
          row.push(raw === 'NULL' ? null : Number(raw));
          i = end;
        }
        if (text[i] === ',') i++;
        else break;
      }
      i++; // ')'
      rows.push(row);
      if (text[i] === ',') i++;
      else break;
    }
    at = text.indexOf(marker, i);
  }
  return rows;
}
