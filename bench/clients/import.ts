/**
 * Tracking-log import, parse + normalise stage: generates a log of N lines from the shapes of
 * the real logs (../shared/data when present, else built-in samples), then streams it through
 * readTrackingLogBatches (the lines of readTrackingLog, a chunk at a time) + tryNormalise.
 * Reports lines/s and peak RSS (memory stays flat: streamed).
 */
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readTrackingLogBatches, tryNormalise } from '@insights/module-edx/lib';

const { values: o } = parseArgs({ options: { n: { type: 'string' }, data: { type: 'string' } } });
const n = Number(o.n);

function sampleLines(): string[] {
  const dir = o.data ? path.join(o.data, 'edx-tracking') : '';
  if (dir && existsSync(dir))
    return readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n'))
      .filter((l) => l.startsWith('{'));
  return [
    '{"username":"ada","event_source":"browser","event_type":"play_video","event":"{\\"id\\":\\"i4x-MITx-6_002x-video-v1\\",\\"currentTime\\":12.5}","page":"https://x/courses/MITx/6.002x/2013_Spring/courseware/w1/","time":"2013-05-31T15:35:50.275822","context":{"user_id":7,"course_id":"MITx/6.002x/2013_Spring"}}',
    '{"username":"bob","event_source":"server","event_type":"problem_check","event":{"problem_id":"i4x://MITx/6.002x/problem/p1","answers":{"p1_2_1":"42"},"success":"correct"},"time":"2013-05-31T15:36:01+00:00","context":{"user_id":8,"course_id":"MITx/6.002x/2013_Spring"}}',
  ];
}

const dir = await mkdtemp(path.join(tmpdir(), 'insights-import-bench-'));
const file = path.join(dir, 'tracking.log');
const samples = sampleLines();
await new Promise<void>((resolve, reject) => {
  const out = createWriteStream(file);
  out.on('error', reject);
  let i = 0;
  const write = () => {
    let ok = true;
    while (i < n && ok) {
      // Vary the time and user so every line is a distinct event.
      const line = (samples[i % samples.length] as string).replace(/"username":"[^"]*"/, `"username":"learner${i % 5000}"`);
      ok = out.write(`${line.replace(/("time":"\d{4}-\d\d-\d\dT\d\d:\d\d:)\d\d/, `$1${String(i % 60).padStart(2, '0')}`)}\n`);
      i++;
    }
    if (i < n) out.once('drain', write);
    else out.end(resolve);
  };
  write();
});

const t = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let lines = 0;
let ok = 0;
for await (const batch of readTrackingLogBatches(file)) {
  for (const l of batch) {
    lines++;
    if (l.kind === 'event' && tryNormalise(l.event).ok) ok++;
  }
}
const secs = Number(process.hrtime.bigint() - t) / 1e9;
const cpu = process.cpuUsage(cpu0);
await rm(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ rate: lines / secs, cpuRate: lines / ((cpu.user + cpu.system) / 1e6), lines, normalised: ok, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
