import { local, type Mesh } from '@insights/client';
import edx from '@insights/module-edx';
import { envelopes, moduleHarness, seededRandom, shuffled, underEveryScenario } from '@insights/analytics-common/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import irt, { firstAttempts, fitCourse, type CourseFit } from '../../src/index.ts';
import { fitIrt, type ItemResponse } from '../../src/fit/index.ts';
import { checksFromMatrix } from './events.ts';

const C = 'course-v1:TestX+Irt+2021';
const ITEMS = ['p1', 'p2', 'p3', 'p4'].map((b) => `block-v1:TestX+Irt+2021+type@problem+block@${b}`);

/** 2PL responses with a seeded generator: a = (0.8, 1.2, 1.6, 1.0), b = (-1, -0.3, 0.4, 1.1), 10 % missing. */
function simulate(learners: number, seed: number): ItemResponse[][] {
  const random = seededRandom(seed);
  const a = [0.8, 1.2, 1.6, 1.0];
  const b = [-1, -0.3, 0.4, 1.1];
  return Array.from({ length: learners }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return a.map((ai, j): ItemResponse => (random() < 0.1 ? null : random() < 1 / (1 + Math.exp(-ai * (z - b[j]!))) ? 1 : 0));
  });
}

describe('irt module - first attempts to a fit', () => {
  const responses = simulate(400, 42);
  const events = envelopes(checksFromMatrix(C, ITEMS, responses));

  it('fits the first attempts only: the same model as fitIrt on the simulated matrix', () => {
    const fit = fitCourse(C, firstAttempts(events), '2pl');
    const direct = fitIrt({ type: 'matrix', responses, itemIds: ITEMS }, { model: '2pl' });
    expect(fit.log_likelihood).toBeCloseTo(direct.logLikelihood, 6);
    expect(fit.items.map((i) => i.problem)).toEqual(ITEMS);
    fit.items.forEach((item, j) => {
      expect(item.difficulty).toBeCloseTo(direct.items[j]!.difficulty.value, 6);
      expect(item.discrimination_se!).toBeCloseTo(direct.items[j]!.discrimination.se!, 6);
    });
    expect(fit).toMatchObject({ course: C, model: '2pl', converged: true, learners: direct.learners, dropped_items: [] });
  });

  it('realtime (shuffled batches with redeliveries) gives exactly the fit of a replay', async () => {
    const h = await moduleHarness(irt);
    try {
      await h.deliver(shuffled([...events, ...events.slice(0, 300)], 5), { batchSize: 100 });
      for (const model of ['rasch', '1pl', '2pl'] as const)
        expect(await h.query('irt_fit', { course: C, model })).toEqual(fitCourse(C, firstAttempts(events), model));
    } finally {
      await h.close();
    }
  });

  it('realtime equals replay under every delivery scenario (a smaller course)', async () => {
    const small = envelopes(checksFromMatrix(C, ITEMS, simulate(40, 7)));
    const runs = await underEveryScenario(irt, small, (h) => h.query('irt_fit', { course: C, model: 'rasch' }));
    for (const run of runs) expect(run.result, run.scenario).toEqual(fitCourse(C, firstAttempts(small), 'rasch'));
  });

  it('problems everybody got right at the first attempt are left out and listed', () => {
    const easy = `block-v1:TestX+Irt+2021+type@problem+block@easy`;
    const withEasy = [
      ...events,
      ...envelopes(
        checksFromMatrix(
          C,
          [easy],
          responses.map(() => [1]),
        ),
      ),
    ];
    const fit = fitCourse(C, firstAttempts(withEasy), 'rasch');
    expect(fit.dropped_items).toEqual([{ problem: easy, reason: 'all-correct' }]);
    expect(fit.items).toHaveLength(4);
  });

  it('clear errors: no attempts (INVALID_ARGUMENT), too little data (FAILED_PRECONDITION)', async () => {
    const h = await moduleHarness(irt);
    try {
      await expect(h.query('irt_fit', { course: 'nope' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        parameter: 'course',
      });
      await h.deliver(
        envelopes(
          checksFromMatrix(C, ITEMS.slice(0, 2), [
            [1, 0],
            [0, 1],
          ]),
        ),
      );
      await expect(h.query('irt_fit', { course: C, model: '2pl' })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        message: expect.stringMatching(/2pl model needs at least 3 items/),
      });
    } finally {
      await h.close();
    }
  });

  it('the refit job follows new attempts: the event property reads the refitted difficulty', async () => {
    const C3 = 'course-v1:TestX+Irt+refit';
    const first = envelopes(checksFromMatrix(C3, ITEMS, simulate(200, 11)));
    const more = envelopes(checksFromMatrix(C3, ITEMS, simulate(400, 12))).map((e) => ({
      ...e,
      id: `more-${e.id}`,
      actor: `more-${e.actor}`,
    }));
    const difficulty = (e: (typeof first)[number]) => irt.eventProperties['difficulty']!.compute(e);
    const h = await moduleHarness(irt);
    try {
      await h.deliver(first);
      const before = await h.query<CourseFit>('irt_fit', { course: C3, model: 'rasch' });
      expect(difficulty(first[0]!)).toBe(before.items[0]!.difficulty);
      await h.deliver(more);
      await h.job('refit');
      const after = fitCourse(C3, firstAttempts([...first, ...more]), 'rasch');
      expect(after.learners).toBe(600);
      expect(difficulty(first[0]!)).toBe(after.items[0]!.difficulty);
    } finally {
      await h.close();
    }
  });

  it('views: item characteristic curves (Vega-Lite) and the items table', async () => {
    const h = await moduleHarness(irt);
    try {
      await h.deliver(events);
      const curves = await h.view('irt_item_curves', { course: C, model: '1pl' });
      expect(curves.type).toBe('vega-lite');
      const values = (curves.type === 'vega-lite' && (curves.spec['data'] as { values: unknown[] }).values) || [];
      expect(values).toHaveLength(4 * 33);
      const t = await h.view('irt_item_curves', { course: C, model: '1pl', format: 'table' });
      expect(t.type === 'table' && t.rows.map((r) => r[0])).toEqual(ITEMS);
    } finally {
      await h.close();
    }
  });
});

describe('irt module - local mode and the problem.* event properties', () => {
  let mesh: Mesh;
  beforeEach(async () => {
    mesh = await local({ modules: [edx, irt] });
  });
  afterEach(() => mesh.close());

  it("null before a fit; the latest fit's difficulty and discrimination after", async () => {
    // Fits are kept in the module's memory, shared by every instance in this process: a course
    // no other test fits.
    const C2 = 'course-v1:TestX+Irt+property';
    const raws = checksFromMatrix(C2, ITEMS, simulate(300, 3));
    await mesh.events.ingest(raws);
    expect(await mesh.events.property(raws[0], 'problem.difficulty')).toBeNull();
    const fit = (await mesh.query.irt_fit!({ course: C2, model: '2pl' })) as CourseFit;
    const item = fit.items.find((i) => i.problem === (raws[0] as { event: { problem_id: string } }).event.problem_id)!;
    expect(await mesh.events.property(raws[0], 'problem.difficulty')).toBe(item.difficulty);
    expect(await mesh.events.property(raws[0], 'problem.discrimination')).toBe(item.discrimination);
    const rows = (await mesh.query.irt_items!({ course: C2, model: '2pl' })) as { problem: string; log_likelihood: number }[];
    expect(rows.map((r) => r.problem)).toEqual(ITEMS);
    expect(rows[0]!.log_likelihood).toBe(fit.log_likelihood);
  });
});
