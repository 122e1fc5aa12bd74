/**
 * Problem events (event-routing-backends `problem_interaction_events.py`).
 *
 * `problem_check` from the server is `evaluated`, from the browser `attempted` (no result: the
 * browser does not know the grade). A server problem_check with several submissions becomes a
 * parent statement about the problem (a GroupActivity) plus one child statement per question,
 * each referring to the parent and with an id derived from the parent's plus the question id.
 */
import { ACTIVITY, EXT, objectIri } from './constants.ts';
import type { VerbName } from './constants.ts';
import { problemBlockId } from './block-ids.ts';
import { pyJsonDumps, pyOr, pyStr, pyTruthy } from './python-compat.ts';
import { activity, compact, languageMap } from './statement.ts';
import type { XapiActivity, XapiActivityDefinition, XapiResult, XapiStatement } from './statement.ts';
import { baseContextExtensions, buildStatement } from './transformer.ts';
import type { Run, Transformer } from './transformer.ts';
import { verb } from './transformer.ts';
import { weightedResult } from './grading.ts';

type Obj = Record<string, unknown>;

/** Open edX response types -> xAPI interaction types. */
const INTERACTION_TYPES: Readonly<Record<string, string>> = {
  choiceresponse: 'choice',
  multiplechoiceresponse: 'choice',
  numericalresponse: 'numeric',
  stringresponse: 'fill-in',
  customresponse: 'other',
  coderesponse: 'other',
  externalresponse: 'other',
  formularesponse: 'fill-in',
  schematicresponse: 'other',
  imageresponse: 'matching',
  annotationresponse: 'fill-in',
  choicetextresponse: 'choice',
  optionresponse: 'choice',
  symbolicresponse: 'fill-in',
  truefalseresponse: 'true-false',
  non_existent: 'other',
};
const DEFAULT_INTERACTION_TYPE = 'other';

const OBJECT_TYPES: Readonly<Record<string, string>> = {
  'edx.grades.problem.submitted': ACTIVITY.question,
  showanswer: ACTIVITY.solution,
  'edx.problem.hint.demandhint_displayed': ACTIVITY.supplementalInfo,
};

const PROBLEM_VERBS: Readonly<Record<string, VerbName>> = {
  'edx.grades.problem.submitted': 'attempted',
  problem_check: 'evaluated',
  showanswer: 'asked',
  'edx.problem.hint.demandhint_displayed': 'asked',
  'edx.problem.completed': 'completed',
};

function eventSource(r: Run): unknown {
  return pyOr(r.d.get('event_source'), () => r.d.get('context.event_source'));
}

function problemVerb(r: Run): ReturnType<typeof verb> {
  const name = r.d.name;
  if (name === 'problem_check' && eventSource(r) === 'browser') return verb('attempted');
  return verb(PROBLEM_VERBS[name] ?? 'attempted');
}

/** `data.problem_id` or `data.module_id` when `data` is an object, else the context module's `usage_key`. */
function baseObjectId(r: Run): string | undefined {
  const data = r.d.get('data');
  if (data !== undefined && typeof data === 'object' && !Array.isArray(data)) {
    return pyStr(pyOr(r.d.get('data.problem_id'), () => r.d.required('data.module_id')));
  }
  return r.d.string('usage_key');
}

function baseDefinition(r: Run): { type: string } {
  return { type: OBJECT_TYPES[r.d.name] ?? ACTIVITY.interaction };
}

const problemEvent: Transformer = {
  verb: problemVerb,
  object(r) {
    const def = baseDefinition(r);
    let id = baseObjectId(r);
    if (r.d.name === 'showanswer') id = `${objectIri(r.root, 'xblock', r.d.requiredString('problem_id'))}/answer`;
    if (r.d.name === 'edx.problem.hint.demandhint_displayed') {
      const moduleId = r.d.requiredString('module_id');
      id = `${objectIri(r.root, 'xblock', moduleId)}/hint/${pyStr(r.d.required('hint_index'))}`;
    }
    return activity(id, def);
  },
};

const problemSubmitted: Transformer = {
  verb: problemVerb,
  object: (r) => activity(objectIri(r.root, 'xblock', baseObjectId(r)), baseDefinition(r)),
  result: (r) => weightedResult(r, 'weighted_possible', 'weighted_earned'),
};

/** The parts of a problem_check statement that differ between the parent and a child question. */
interface CheckScope {
  submission(r: Run): Obj | undefined;
  objectId(r: Run): string | undefined;
  /** The parent of a multi-question check reports `other` as its interaction type. */
  forceOther(r: Run): boolean;
}

/** The first submission with a response type (`_get_submission`). */
function firstSubmission(r: Run): Obj | undefined {
  const submissions = r.d.get('data.submission');
  if (!isObj(submissions)) return undefined;
  for (const sub of Object.values(submissions)) if (isObj(sub) && pyTruthy(sub['response_type'])) return sub;
  return undefined;
}

/** Question ids of a multi-question check; none when there is a single question. */
function childIds(r: Run): string[] {
  const submissions = r.d.get('submission');
  const ids = isObj(submissions) ? Object.keys(submissions) : [];
  return ids.length > 1 ? ids : [];
}

function checkDefinition(r: Run, scope: CheckScope): XapiActivityDefinition {
  const attempts = r.d.get('data.attempts');
  let interactionType = INTERACTION_TYPES[pyStr(r.d.get('response_type'))] ?? DEFAULT_INTERACTION_TYPE;
  const displayName = r.d.get('display_name');
  const submission = scope.submission(r);
  let description: XapiActivityDefinition['description'];
  let name: XapiActivityDefinition['name'];
  if (submission !== undefined) {
    interactionType = INTERACTION_TYPES[pyStr(submission['response_type'])] ?? DEFAULT_INTERACTION_TYPE;
    description = languageMap('en-US', submission['question']);
  } else if (displayName !== undefined) {
    name = languageMap('en-US', displayName);
  }
  if (scope.forceOther(r)) interactionType = DEFAULT_INTERACTION_TYPE;
  return compact<XapiActivityDefinition>({
    type: baseDefinition(r).type,
    extensions: attempts === undefined ? undefined : { [EXT.attemptId]: attempts },
    description,
    name,
    interactionType,
  });
}

function checkObject(r: Run, scope: CheckScope, objectType: XapiActivity['objectType']): XapiActivity {
  let id = scope.objectId(r);
  const definition = checkDefinition(r, scope);
  const referer = pyOr(r.d.get('referer'), () => r.d.required('context.referer'));
  if (pyOr(r.d.get('context.event_source'), () => r.d.get('event_source')) === 'browser') {
    const blockId = problemBlockId(pyStr(referer), r.d.get('data'), r.d.string('context.course_id'));
    id = objectIri(r.root, 'xblock', blockId);
  } else if (id !== undefined && id !== '') {
    id = objectIri(r.root, 'xblock', id);
  }
  return activity(id, definition, objectType);
}

/** Response as tincan stores it: lists as JSON (`JSONEncodedResult`), anything else as Python `str()`. */
function response(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? pyJsonDumps(value, false) : pyStr(value);
}

function checkResult(r: Run, scope: CheckScope): XapiResult | undefined {
  if (eventSource(r) === 'browser') return undefined;
  const submission = scope.submission(r);
  let answer: unknown;
  let correct: unknown;
  if (submission !== undefined) {
    answer = submission['answer'];
    correct = submission['correct'];
  } else {
    const data = r.d.get('data');
    answer = isObj(data) ? data['answers'] : undefined;
    correct = r.d.get('success') === 'correct';
  }
  const maxGrade = r.d.get('max_grade');
  const grade = r.d.get('grade');
  let scaled: number | undefined;
  if (maxGrade !== undefined && grade !== undefined) scaled = Number(maxGrade) > 0 ? Number(grade) / Number(maxGrade) : 0;
  return compact<XapiResult>({
    success: correct === undefined || correct === null ? undefined : pyTruthy(correct),
    score: compact({ min: 0, max: num(maxGrade), raw: num(grade), scaled }),
    response: response(answer),
  });
}

const parentScope: CheckScope = {
  submission: firstSubmission,
  objectId: baseObjectId,
  forceOther: (r) => childIds(r).length > 0,
};

function childScope(childId: string): CheckScope {
  return {
    submission(r) {
      const submissions = r.d.get('submission');
      const sub = isObj(submissions) ? submissions[childId] : undefined;
      return isObj(sub) ? sub : undefined;
    },
    // The question's block id: the problem's with its last `@` part replaced by the question id.
    objectId: (r) => [...(baseObjectId(r) ?? '').split('@').slice(0, -1), childId].join('@'),
    forceOther: () => false,
  };
}

const problemCheck: Transformer = {
  verb: problemVerb,
  object: (r) => checkObject(r, parentScope, childIds(r).length > 0 ? 'GroupActivity' : 'Activity'),
  result: (r) => checkResult(r, parentScope),
  children(r, parent) {
    return childIds(r).map((childId) => childStatement(r, parent, childId));
  },
};

function childStatement(r: Run, parent: XapiStatement, childId: string): XapiStatement {
  const scope = childScope(childId);
  const child: Transformer = {
    verb: problemVerb,
    object: (run) => checkObject(run, scope, 'Activity'),
    result(run) {
      const base = checkResult(run, scope);
      if (base === undefined) return undefined;
      // Only the parent knows the score; the child reports its own answer.
      const { score: _score, response: _response, ...rest } = base;
      const sub = scope.submission(run);
      return compact<XapiResult>({ ...rest, response: response(sub?.['answer']) });
    },
  };
  return buildStatement(child, r, {
    idNamespace: (verbJson) => `${verbJson}-${childId}`,
    context: (run) => ({
      contextActivities: { parent: [parent.object], grouping: parent.context?.contextActivities?.parent ?? [] },
      extensions: baseContextExtensions(child, run),
      statement: { objectType: 'StatementRef', id: parent.id },
    }),
  });
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return v === undefined || v === null ? undefined : Number(v);
}

export const PROBLEM_TRANSFORMERS: Readonly<Record<string, Transformer>> = {
  showanswer: problemEvent,
  'edx.problem.completed': problemEvent,
  'edx.problem.hint.demandhint_displayed': problemEvent,
  'edx.grades.problem.submitted': problemSubmitted,
  problem_check: problemCheck,
};
