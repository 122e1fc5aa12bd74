/**
 * One size of the course bench on its own (scenario 8 of `npm run bench` runs 200,000 events,
 * and 1,000,000 with BENCH_COURSE_1M=1): `npx tsx bench/course.ts --events 1000000 --learners 20000
 * [--isolation inline]`. Progress (what each handler has left) goes to stderr every 10 s.
 */
import { parseArgs } from 'node:util';
import { startNatsServer } from '@insights/registry/nats-server';
import { runCourse } from './scenarios/course.ts';

const { values: o } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    learners: { type: 'string', default: '5000' },
    isolation: { type: 'string', default: 'process' },
  },
});
const nats = await startNatsServer({ auth: false, maxFileStore: '16GB' });
try {
  process.stdout.write(
    `${JSON.stringify(await runCourse(nats.url, Number(o.events), Number(o.learners), o.isolation), null, 2)}\n`,
  );
} finally {
  await nats.stop();
}
