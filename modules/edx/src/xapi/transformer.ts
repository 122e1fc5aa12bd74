/**
 * The statement skeleton every transformer shares (event-routing-backends `XApiTransformer`):
 * id, actor, context (course as parent activity, transformer version, session id), timestamp,
 * version; a transformer contributes verb, object, result and context additions.
 */
import { EdxDataError } from '../errors.ts';
import { ACTIVITY, EXT, XAPI_VERSION, objectIri, VERB } from './constants.ts';
import type { VerbName } from './constants.ts';
import type { EventData } from './event-data.ts';
import { pyIsoformat, pyJsonDumps, pyOr, pyStr, uuid5 } from './python-compat.ts';
import { activity, compact, extensions, languageMap } from './statement.ts';
import type {
  XapiActivity,
  XapiAgent,
  XapiContext,
  XapiContextActivities,
  XapiResult,
  XapiStatement,
  XapiVerb,
} from './statement.ts';

/** What upstream reads from Django settings and the LMS database, supplied by the caller. */
export interface EdxToXapiOptions {
  /** `settings.LMS_ROOT_URL`, without trailing slash: the base of every activity IRI. */
  readonly lmsRootUrl: string;
  /**
   * The xAPI account name of a user, given the user id (as a string) or, when the event has no
   * id, the username. Upstream uses the user's external id of type XAPI (a UUID per user).
   */
  readonly actorId: (userIdOrUsername: string) => string;
  /** The course's display name (`CourseOverview.display_name`); the name is left out when undefined. */
  readonly courseName?: ((courseId: string) => string | undefined) | undefined;
  /** `<package>@<version>` recorded in the transformer-version extension. */
  readonly transformerVersion?: string | undefined;
}

export const DEFAULT_TRANSFORMER_VERSION = '@insights/module-edx@0.1.0';

/** uuid5 namespace of every statement id (`get_uuid5`'s fixed base: the RFC 4122 DNS namespace). */
const BASE_UUID = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** One transformer run: the event, the options, and the parts other parts are built from. */
export interface Run {
  readonly d: EventData;
  readonly o: EdxToXapiOptions;
  readonly root: string;
  /** The course parent activity list, or undefined when the event has no `context.course_id`. */
  courseContextActivities(): XapiContextActivities | undefined;
  courseName(courseId: string): string | undefined;
}

/** A transformer: event-routing-backends' class hierarchy flattened into overridable parts. */
export interface Transformer {
  verb(run: Run): XapiVerb;
  object(run: Run): XapiActivity;
  result?(run: Run): XapiResult | undefined;
  /** Replaces the default context activities (the course as parent). */
  contextActivities?(run: Run): XapiContextActivities | undefined;
  /** Added to the default context extensions (transformer version, session id). */
  contextExtensions?(run: Run): Record<string, unknown>;
  /** Extra statements after the main one (multi-question problem_check). */
  children?(run: Run, parent: XapiStatement): XapiStatement[];
}

export function verb(name: VerbName): XapiVerb {
  return { id: VERB[name], display: { en: name } };
}

export function makeRun(d: EventData, o: EdxToXapiOptions): Run {
  const root = o.lmsRootUrl;
  return {
    d,
    o,
    root,
    courseName: (courseId) => o.courseName?.(courseId),
    courseContextActivities() {
      const courseId = d.string('context.course_id');
      if (courseId === undefined) return undefined;
      const name = o.courseName?.(courseId);
      const definition = compact({ type: ACTIVITY.course, name: name === undefined ? undefined : languageMap('en-US', name) });
      return { parent: [activity(objectIri(root, 'course', courseId), definition)] };
    },
  };
}

/** Runs a transformer: the main statement, then any child statements. */
export function runTransformer(t: Transformer, run: Run): XapiStatement | XapiStatement[] {
  const main = buildStatement(t, run, {
    idNamespace: (verbJson) => verbJson,
    context: (r) => ({
      contextActivities: t.contextActivities ? t.contextActivities(r) : r.courseContextActivities(),
      extensions: baseContextExtensions(t, r),
    }),
  });
  const children = t.children?.(run, main) ?? [];
  return children.length > 0 ? [main, ...children] : main;
}

export interface StatementParts {
  /** uuid5 namespace key, from the verb's JSON (children add their id to keep ids distinct). */
  idNamespace(verbJson: string): string;
  context(run: Run): XapiContext;
}

export function buildStatement(t: Transformer, run: Run, parts: StatementParts): XapiStatement {
  const actor = agent(run);
  const v = t.verb(run);
  const rawTime = pyOr(run.d.get('timestamp'), () => run.d.get('time'));
  const verbJson = pyJsonDumps({ id: v.id, display: v.display });
  // Field order of tincan's Agent.to_json(): it is hashed, so it must match byte for byte.
  const actorJson = pyJsonDumps({ objectType: 'Agent', account: { name: actor.account.name, homePage: actor.account.homePage } });
  const id = uuid5(uuid5(BASE_UUID, parts.idNamespace(verbJson)), `${actorJson}-${pyStr(rawTime)}`);
  const timestamp = typeof rawTime === 'string' ? pyIsoformat(rawTime) : undefined;
  const context = compact<XapiContext>(parts.context(run));
  return compact<XapiStatement>({
    id,
    actor,
    context,
    timestamp,
    object: t.object(run),
    verb: v,
    result: t.result?.(run),
    version: XAPI_VERSION,
  });
}

export function baseContextExtensions(t: Transformer, run: Run): Record<string, unknown> {
  return extensions({
    [EXT.transformerVersion]: run.o.transformerVersion ?? DEFAULT_TRANSFORMER_VERSION,
    [EXT.sessionId]: run.d.get('session'),
    ...t.contextExtensions?.(run),
  });
}

/**
 * `extract_username_or_userid`: the user acted upon (`data.user_id`, `data.username`) before the
 * one acting (`user_id`, `username` at any depth): an instructor enrolling a learner names the
 * learner. Undefined for an anonymous event.
 */
export function actorUser(d: EventData): string | undefined {
  const who = pyOr(
    pyOr(d.get('data.user_id'), () => d.get('data.username')),
    () => pyOr(d.get('user_id'), () => d.get('username')),
  );
  return (typeof who === 'string' || typeof who === 'number') && who !== '' ? String(who) : undefined;
}

function agent(run: Run): XapiAgent {
  const d = run.d;
  const who = actorUser(d);
  if (who === undefined) {
    throw new EdxDataError(
      'XAPI_MISSING_FIELD',
      `cannot convert the edX event "${pyStr(d.get('name'))}" to xAPI: no user (anonymous event)`,
      {
        field: 'context.user_id',
      },
    );
  }
  return { objectType: 'Agent', account: { homePage: run.root, name: run.o.actorId(who) } };
}
