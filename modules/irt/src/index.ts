/**
 * Item response theory (issue 6, analytic 7): the IRT module around the fit library (./fit).
 *
 * - An event handler keeps each learner's first attempt at each problem (earliest server
 *   `problem_check` by time, then id: correct when `success` is "correct", else when grade equals
 *   max_grade). One document per (course, problem, learner); a later or redelivered check changes
 *   nothing, so realtime state equals a replay.
 * - `irt_fit` fits a course (Rasch, 1PL or 2PL; marginal ML) from those first attempts and reports
 *   estimates with standard errors, the log-likelihood, AIC and BIC. Problems everybody got right
 *   (or wrong) have no finite difficulty: they are left out and listed in `dropped_items`.
 * - Event properties `problem.difficulty` and `problem.discrimination` read the latest fit of
 *   the event's course computed in this process (kept in memory: an event property gets no
 *   context, so no database or cache). Until `irt_fit` has run for a course, and after a
 *   restart, they are null; the `refit` job refits every course fitted before, so they follow
 *   new data. Limitation: two instances of the module in one process (two `local()` meshes)
 *   share these fits; a node runs each module in its own process, where that cannot happen.
 */
import {
  bodyOf,
  compareStamps,
  docId,
  stampOf,
  toNumber,
  updateKeyedMany,
  type KeyedUpdate,
  type Stamp,
} from '@insights/analytics-common';
import {
  defineModule,
  eventHandler,
  eventProperty,
  InsightsError,
  invalidArgument,
  job,
  query,
  table,
  view,
  vegaLite,
  z,
  type Db,
  type Document,
  type EventEnvelope,
} from '@insights/sdk';
import {
  fitIrt,
  firstAttemptMatrix,
  IRT_ERROR_CODES,
  IRT_MODELS,
  isIrtFitError,
  type IrtModel,
  type ItemEstimate,
} from './fit/index.ts';

// ---- First attempts (the realtime state) ---------------------------------------------------

export interface FirstAttempt extends Stamp {
  readonly course: string;
  readonly problem: string;
  readonly learner: string;
  readonly correct: boolean;
}

const FIRST_ATTEMPTS = 'first_attempts';

/** A server check as an attempt; browser checks (form text) and ungraded events are not attempts. */
export function attemptOf(e: EventEnvelope): FirstAttempt | undefined {
  const body = bodyOf(e);
  if (e.type !== 'problem_check' || body === undefined || e.course === undefined || e.actor === undefined) return undefined;
  const problem = typeof body['problem_id'] === 'string' && body['problem_id'] !== '' ? body['problem_id'] : e.resource;
  const grade = toNumber(body['grade']);
  const max = toNumber(body['max_grade']);
  const success = body['success'];
  if (problem === undefined || (success !== 'correct' && success !== 'incorrect' && (grade === undefined || !(max! > 0))))
    return undefined;
  const correct = success === 'correct' ? true : success === 'incorrect' ? false : grade! >= max!;
  return { ...stampOf(e), course: e.course, problem, learner: e.actor, correct };
}

const isAttempt = (e: EventEnvelope) => attemptOf(e) !== undefined;

/** The earlier of two attempts; null when `next` is not earlier (nothing to write). */
export function earlier(current: FirstAttempt | null, next: FirstAttempt): FirstAttempt | null {
  return current === null || compareStamps(next, current) < 0 ? next : null;
}

async function recordAttempts(db: Db, events: readonly EventEnvelope[]): Promise<void> {
  const updates: KeyedUpdate<FirstAttempt & Document>[] = [];
  for (const e of events) {
    const a = attemptOf(e);
    if (a === undefined) continue;
    updates.push([
      docId([a.course, a.problem, a.learner]),
      (cur) =>
        earlier(
          cur === null
            ? null
            : { course: cur.course, problem: cur.problem, learner: cur.learner, correct: cur.correct, t: cur.t, id: cur.id },
          a,
        ),
    ]);
  }
  await updateKeyedMany(db.collection(FIRST_ATTEMPTS), updates);
}

async function readAttempts(db: Db, course: string): Promise<FirstAttempt[]> {
  const docs = await db.collection(FIRST_ATTEMPTS).find({ course }).toArray();
  return docs.map((d) => ({
    course: d['course'],
    problem: d['problem'],
    learner: d['learner'],
    correct: d['correct'],
    t: d['t'],
    id: d['id'],
  }));
}

/** First attempts of a list of events at once (the batch path, for scripts and tests). */
export function firstAttempts(events: Iterable<EventEnvelope>, course?: string): FirstAttempt[] {
  const first = new Map<string, FirstAttempt>();
  for (const e of events) {
    const a = attemptOf(e);
    if (a === undefined || (course !== undefined && a.course !== course)) continue;
    const key = docId([a.course, a.problem, a.learner]);
    const n = earlier(first.get(key) ?? null, a);
    if (n !== null) first.set(key, n);
  }
  return [...first.values()];
}

// ---- Fitting a course ----------------------------------------------------------------------

export interface IrtItemRow {
  readonly problem: string;
  readonly difficulty: number;
  readonly difficulty_se: number | null;
  readonly discrimination: number;
  readonly discrimination_se: number | null;
  readonly intercept: number;
  readonly intercept_se: number | null;
  readonly responses: number;
  readonly proportion_correct: number;
}

export interface CourseFit {
  readonly course: string;
  readonly model: IrtModel;
  readonly log_likelihood: number;
  readonly aic: number;
  readonly bic: number;
  readonly parameter_count: number;
  readonly learners: number;
  readonly converged: boolean;
  /** Problems left out: everybody who tried got it right (or wrong) at the first attempt. */
  readonly dropped_items: readonly { readonly problem: string; readonly reason: string }[];
  readonly items: readonly IrtItemRow[];
}

const itemRow = (i: ItemEstimate): IrtItemRow => ({
  problem: i.id,
  difficulty: i.difficulty.value,
  difficulty_se: i.difficulty.se,
  discrimination: i.discrimination.value,
  discrimination_se: i.discrimination.se,
  intercept: i.intercept.value,
  intercept_se: i.intercept.se,
  responses: i.responses,
  proportion_correct: i.proportionCorrect,
});

/**
 * Fits one course from first attempts. Learners and problems are sorted first, so the same
 * attempts give the same numbers whatever order the database returns them in.
 */
export function fitCourse(course: string, attempts: readonly FirstAttempt[], model: IrtModel): CourseFit {
  const dropped = new Map<string, string>();
  const sorted = [...attempts].sort((a, b) =>
    a.learner < b.learner ? -1 : a.learner > b.learner ? 1 : a.problem < b.problem ? -1 : a.problem > b.problem ? 1 : 0,
  );
  for (;;) {
    const itemIds = [...new Set(sorted.map((a) => a.problem))].filter((p) => !dropped.has(p)).sort();
    try {
      const matrix = firstAttemptMatrix(
        sorted.map((a) => ({ learnerId: a.learner, itemId: a.problem, correct: a.correct })),
        { itemIds },
      );
      const fit = fitIrt(matrix, { model });
      return {
        course,
        model,
        log_likelihood: fit.logLikelihood,
        aic: fit.aic,
        bic: fit.bic,
        parameter_count: fit.parameterCount,
        learners: fit.learners,
        converged: fit.converged,
        dropped_items: [...dropped]
          .map(([problem, reason]) => ({ problem, reason }))
          .sort((a, b) => (a.problem < b.problem ? -1 : 1)),
        items: fit.items.map(itemRow),
      };
    } catch (e) {
      if (!isIrtFitError(e)) throw e;
      if (e.code === IRT_ERROR_CODES.DEGENERATE_ITEMS && e.details.degenerateItems !== undefined) {
        for (const d of e.details.degenerateItems) dropped.set(d.itemId, d.reason);
        continue;
      }
      const why = dropped.size === 0 ? '' : ` (after leaving out ${dropped.size} problem(s) everybody got right or wrong)`;
      throw new InsightsError('FAILED_PRECONDITION', `course ${course}: cannot fit the ${model} model${why}: ${e.message}`, {
        cause: e,
      });
    }
  }
}

// ---- The latest fits, for the event properties ---------------------------------------------

/** Per course: the model last fitted and its items by problem. Per module instance, in memory. */
const latestFits = new Map<string, { model: IrtModel; items: Map<string, IrtItemRow> }>();

function remember(fit: CourseFit): void {
  latestFits.set(fit.course, { model: fit.model, items: new Map(fit.items.map((i) => [i.problem, i])) });
}

function itemOf(e: EventEnvelope): IrtItemRow | undefined {
  const problem = bodyOf(e)?.['problem_id'];
  const id = typeof problem === 'string' && problem !== '' ? problem : e.resource;
  return e.course === undefined || id === undefined ? undefined : latestFits.get(e.course)?.items.get(id);
}

async function fitAndRemember(db: Db, course: string, model: IrtModel): Promise<CourseFit> {
  const attempts = await readAttempts(db, course);
  if (attempts.length === 0) throw invalidArgument('course', `no problem attempts recorded for course ${course}`);
  const fit = fitCourse(course, attempts, model);
  remember(fit);
  return fit;
}

// ---- Item characteristic curves ------------------------------------------------------------

/** P(correct | ability) per item over abilities -4..4: the data of the curves chart. */
export function curvePoints(fit: CourseFit, step = 0.25): { problem: string; ability: number; p_correct: number }[] {
  const points: { problem: string; ability: number; p_correct: number }[] = [];
  for (const item of fit.items)
    for (let z = -4; z <= 4 + 1e-9; z += step) {
      const ability = Math.round(z * 100) / 100;
      points.push({
        problem: item.problem,
        ability,
        p_correct: 1 / (1 + Math.exp(-item.discrimination * (ability - item.difficulty))),
      });
    }
  return points;
}

function curvesSpec(fit: CourseFit): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Item characteristic curves (${fit.model}): ${fit.course}`,
    width: 560,
    height: 320,
    data: { values: curvePoints(fit) },
    mark: 'line',
    encoding: {
      x: { field: 'ability', type: 'quantitative', title: 'ability (z)' },
      y: { field: 'p_correct', type: 'quantitative', title: 'P(correct at first attempt)', scale: { domain: [0, 1] } },
      color: { field: 'problem', type: 'nominal' },
    },
  };
}

// ---- The module ----------------------------------------------------------------------------

const course = z.string().min(1).describe('Course id');
const model = z.enum(IRT_MODELS).default('2pl').describe('rasch (a = 1), 1pl (one common a) or 2pl (a per item)');

export default defineModule({
  name: 'irt',
  version: '1.0.0',
  description: "Item response theory (Rasch, 1PL, 2PL) from learners' first attempts at problems.",

  queries: {
    irt_fit: query({
      description: 'Fits a course: item difficulties and discriminations with standard errors, log-likelihood, AIC, BIC.',
      params: { course, model },
      run: ({ course, model }, { db }) => fitAndRemember(db, course, model),
    }),
    irt_items: query({
      description: "The fitted items of a course, one row each (for CSV), with the fit's log-likelihood.",
      params: { course, model },
      run: async ({ course, model }, { db }) => {
        const fit = await fitAndRemember(db, course, model);
        return fit.items.map((i) => ({ course, model, ...i, log_likelihood: fit.log_likelihood }));
      },
    }),
  },

  views: {
    irt_item_curves: view({
      description: "Item characteristic curves of a course's fit (Vega-Lite), or the items (table).",
      params: {
        course,
        model,
        format: z.enum(['vega-lite', 'table']).default('vega-lite').describe('vega-lite: the curves; table: the items'),
      },
      run: async ({ course, model, format }, { db }) => {
        const fit = await fitAndRemember(db, course, model);
        if (format === 'vega-lite') return vegaLite(curvesSpec(fit));
        const columns = [
          'problem',
          'difficulty',
          'difficulty_se',
          'discrimination',
          'discrimination_se',
          'responses',
          'proportion_correct',
        ] as const;
        return table(
          columns,
          fit.items.map((i) => columns.map((c) => i[c])),
          `IRT ${model}: ${course}`,
        );
      },
    }),
  },

  eventHandlers: {
    record_first_attempts: eventHandler({
      description: "Keeps each learner's first attempt (correct or not) at each problem.",
      filter: { sources: ['edx'], types: ['problem_check'], where: isAttempt },
      partitionBy: 'actor',
      handle: (events, { db }) => recordAttempts(db, events),
    }),
  },

  eventProperties: {
    difficulty: eventProperty({
      name: 'problem.difficulty',
      description: "IRT difficulty (b) of the event's problem in the latest fit of its course by this module; null before a fit.",
      sources: ['edx'],
      compute: (e) => itemOf(e)?.difficulty ?? null,
    }),
    discrimination: eventProperty({
      name: 'problem.discrimination',
      description:
        "IRT discrimination (a) of the event's problem in the latest fit of its course by this module; null before a fit.",
      sources: ['edx'],
      compute: (e) => itemOf(e)?.discrimination ?? null,
    }),
  },

  jobs: {
    refit: job({
      description: 'Refits every course fitted before, with the same model, so the event properties follow new attempts.',
      schedule: { everySeconds: 3600 },
      run: async ({ db, log }) => {
        for (const [c, { model: m }] of [...latestFits])
          await fitAndRemember(db, c, m).catch((e: unknown) => log.warn('refit failed', { course: c, error: String(e) }));
      },
    }),
  },
});
