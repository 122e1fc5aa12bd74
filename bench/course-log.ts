/**
 * A synthetic course built from the real Open edX tracking logs' lines (../shared/data/edx-tracking):
 * line i is real line i mod L with its learner remapped to one of `learners` (username and
 * user_id) and its time spread evenly over `days`, so every event is distinct (its id is derived
 * from the time and learner) and the analytics see a course of realistic shape and size.
 */
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface CourseLogOptions {
  readonly events: number;
  readonly learners: number;
  /** Length of the course (default 70 days). */
  readonly days?: number;
  /** Folder of the real logs (default ../shared/data/edx-tracking beside the repository). */
  readonly realLogs: string;
  /** Adds a string field of this many bytes to every line (large events: a large file with few events). */
  readonly padBytes?: number;
}

const START_MS = Date.UTC(2026, 0, 5);

function realLines(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Writes the course log to `file` (one JSON event per line). */
export async function writeCourseLog(file: string, o: CourseLogOptions): Promise<{ lines: number; templates: number }> {
  const templates = realLines(o.realLogs);
  if (templates.length === 0) throw new Error(`no tracking-log lines in ${o.realLogs}`);
  const stepMs = ((o.days ?? 70) * 86_400_000) / o.events;
  const out = createWriteStream(file);
  const pad = o.padBytes === undefined ? undefined : 'x'.repeat(o.padBytes);
  for (let i = 0; i < o.events; i++) {
    const learner = i % o.learners;
    const line = structuredClone(templates[i % templates.length]!);
    line['username'] = `learner${learner}`;
    line['time'] = new Date(START_MS + Math.floor(i * stepMs)).toISOString();
    const context = line['context'];
    if (typeof context === 'object' && context !== null) (context as Record<string, unknown>)['user_id'] = 100_000 + learner;
    if (pad !== undefined) line['padding'] = pad;
    if (!out.write(`${JSON.stringify(line)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { lines: o.events, templates: templates.length };
}
