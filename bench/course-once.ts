/**
 * One run of scenario 8 on its own (a course imported into an lms-like node, every standard
 * analytic caught up): `npx tsx bench/course-once.ts [--events 200000] [--learners 5000]
 * [--isolation process|inline]`.
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
  const r = await runCourse(nats.url, Number(o.events), Number(o.learners), o.isolation);
  process.stdout.write(`${JSON.stringify({ isolation: o.isolation, ...r })}\n`);
} finally {
  await nats.stop();
}
