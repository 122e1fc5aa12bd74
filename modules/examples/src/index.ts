/** The README's examples: hello world, per-user hello, dummy grades and a real histogram. */
import { histogramSvg, svgToPng } from '@insights/charts';
import { defineModule, query, view, z } from '@insights/sdk';

/** Deterministic pseudo-grades, so the example looks the same every time. */
function fakeGrades(course: string, learners: number): { learner: string; grade: number }[] {
  let seed = [...course].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: learners }, (_, i) => {
    const grade = Math.min(1, Math.max(0, 0.68 + (next() + next() + next() - 1.5) * 0.35));
    return { learner: `learner${i + 1}`, grade: Math.round(grade * 100) / 100 };
  });
}

const course = z.string().min(1).default('edX/DemoX/Demo_Course').describe('Course id');

export default defineModule({
  name: 'examples',
  version: '1.0.0',
  description: 'The examples from the README.',

  queries: {
    hello: query({ description: 'Hello, world.', run: () => 'Hello, world!' }),
    hello_user: query({
      description: 'Greets one user.',
      params: { user: z.string().min(1).describe('Who to greet') },
      run: ({ user }) => `Hello, ${user}!`,
    }),
    get_grades: query({
      description: 'Dummy grades of a course (deterministic pseudo-random data).',
      params: { course, learners: z.number().int().min(1).max(10_000).default(200).describe('How many learners') },
      run: ({ course, learners }) => fakeGrades(course, learners),
    }),
  },

  views: {
    plot_grades: view({
      description: "Histogram of a course's grades, rendered to PNG, stored for 10 minutes and shown by its signed URL.",
      params: { course },
      run: async ({ course }, { mesh, fs }) => {
        const grades = (await mesh.query.get_grades!({ course })) as { grade: number }[];
        const svg = histogramSvg(
          grades.map((g) => g.grade),
          { title: `Grades in ${course}`, xLabel: 'grade', binCount: 10, range: { min: 0, max: 1 } },
        );
        const file = `plots/grades-${course.replace(/[^A-Za-z0-9]+/g, '_')}.png`;
        await fs.write(file, svgToPng(svg));
        await fs.expire(file, 600);
        return `<img src="${await fs.url(file, 600)}" alt="Histogram of grades in ${course}" width="640" height="360">`;
      },
    }),
  },
});
