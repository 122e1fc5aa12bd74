/**
 * One size of the course bench on its own (scenario 8 of `npm run bench` runs 200,000 and
 * 1,000,000 events): `npx tsx bench/course.ts --events 200000 --learners 5000 [--isolation inline]`.
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
const nats = await startNatsServer();
try {
  process.stdout.write(
    `${JSON.stringify(await runCourse(nats.url, Number(o.events), Number(o.learners), o.isolation), null, 2)}\n`,
  );
} finally {
  await nats.stop();
}
