/**
 * The Aspects video seed (../shared/data/aspects-video/video_playback_events.csv: parsed xAPI
 * video events) turned back into xAPI statements in Open edX's shape, so the module reads them
 * through the real normaliser like any statement.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REAL_DATA } from '@insights/analytics-common/testing';

/** RFC 4180 fields: quoted or bare, `""` for a quote inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') endRow();
    else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

export const ASPECTS_CSV = path.join(REAL_DATA, 'aspects-video', 'video_playback_events.csv');

export async function aspectsStatements(): Promise<Record<string, unknown>[]> {
  const [header, ...rows] = parseCsv(await readFile(ASPECTS_CSV, 'utf8'));
  const col = (name: string) => header!.indexOf(name);
  const [id, time, actor, object, course, verb, position, duration] = [
    'event_id',
    'emission_time_long',
    'actor_id',
    'object_id',
    'course_key',
    'verb_id',
    'video_position',
    'video_duration',
  ].map(col) as [number, number, number, number, number, number, number, number];
  return rows.map((r) => ({
    id: r[id],
    timestamp: `${r[time]!.replace(' ', 'T')}Z`,
    actor: { objectType: 'Agent', account: { homePage: 'http://localhost:18000', name: r[actor] } },
    verb: { id: r[verb] },
    object: { id: r[object], objectType: 'Activity' },
    result: { extensions: { 'https://w3id.org/xapi/video/extensions/time': Number(r[position]) } },
    context: {
      extensions: { 'https://w3id.org/xapi/video/extensions/length': Number(r[duration]) },
      contextActivities: {
        parent: [
          {
            id: `http://localhost:18000/course/${r[course]}`,
            objectType: 'Activity',
            definition: { type: 'http://adlnet.gov/expapi/activities/course' },
          },
        ],
      },
    },
  }));
}
