import { InsightsError, z, type ParamShape } from '@insights/sdk';

export interface CompiledParams {
  /** JSON Schema of what callers pass (parameters with defaults are not required). */
  readonly jsonSchema: Record<string, unknown>;
  /** Validates and applies defaults; throws INVALID_ARGUMENT naming the parameter. */
  parse(args: unknown): Record<string, unknown>;
}

/**
 * Compiles an analytic's parameter shape once, at load. Objects are strict: an unknown
 * parameter is an error that names it, never silently dropped (the prototype's djobject
 * rejected extras without saying which).
 */
export function compileParams(analytic: string, shape: ParamShape): CompiledParams {
  const schema = z.strictObject(shape);
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete jsonSchema.$schema;
  return {
    jsonSchema,
    parse(args) {
      if (args === null || args === undefined) args = {};
      if (typeof args !== 'object' || Array.isArray(args))
        throw new InsightsError('INVALID_ARGUMENT', `${analytic}: arguments must be a JSON object of named parameters`, {
          analytic,
        });
      const r = schema.safeParse(args);
      if (r.success) return r.data as Record<string, unknown>;
      throw toInvalidArgument(analytic, r.error, Object.keys(shape), args);
    },
  };
}

function toInvalidArgument(analytic: string, error: z.ZodError, known: string[], args: unknown): InsightsError {
  const issue = error.issues[0];
  if (issue === undefined) return new InsightsError('INVALID_ARGUMENT', `${analytic}: invalid arguments`, { analytic });
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0] ?? '?';
    const expected = known.length === 0 ? 'it takes no parameters' : `its parameters are: ${known.join(', ')}`;
    return new InsightsError('INVALID_ARGUMENT', `${analytic}: unknown parameter "${name}"; ${expected}`, {
      parameter: name,
      analytic,
    });
  }
  const parameter = issue.path.map(String).join('.') || '(arguments)';
  const missing = issue.code === 'invalid_type' && valueAt(args, issue.path) === undefined;
  const what = missing ? `missing required parameter` : issue.message;
  return new InsightsError('INVALID_ARGUMENT', `${analytic}: parameter "${parameter}": ${what}`, { parameter, analytic });
}

function valueAt(v: unknown, path: readonly PropertyKey[]): unknown {
  let cur = v;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}
