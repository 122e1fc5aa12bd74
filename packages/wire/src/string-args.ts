import { InsightsError } from '@insights/sdk';

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; anyOf?: JsonSchema[] };

/**
 * Turns string values (query strings, CLI flags) into the types the analytic's JSON Schema asks
 * for, so `?week=3&weekly=true` reaches a handler as a number and a boolean. Parameters whose
 * names start with `_` are controls of the HTTP layer or CLI and are not passed on.
 */
export function coerceStringArgs(
  query: Record<string, string | string[] | undefined>,
  schema: JsonSchema,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(query)) {
    if (key.startsWith('_') || raw === undefined) continue;
    const prop = schema.properties?.[key];
    const types = prop === undefined ? [] : typesOf(prop);
    const values = Array.isArray(raw) ? raw : [raw];
    if (types.includes('array')) {
      out[key] = values.length === 1 && values[0]?.startsWith('[') ? parseJson(key, values[0]) : values;
      continue;
    }
    const v = values[values.length - 1] ?? '';
    out[key] = coerceOne(key, v, types);
  }
  return out;
}

function coerceOne(key: string, v: string, types: string[]): unknown {
  if (types.includes('string') || types.length === 0) return v;
  if ((types.includes('number') || types.includes('integer')) && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (types.includes('boolean') && (v === 'true' || v === 'false')) return v === 'true';
  if (types.includes('null') && v === 'null') return null;
  if (types.includes('object')) return parseJson(key, v);
  return v; // leave it to validation, which names the parameter and the expected type
}

function typesOf(s: JsonSchema): string[] {
  if (s.anyOf !== undefined) return s.anyOf.flatMap(typesOf);
  if (s.type === undefined) return [];
  return Array.isArray(s.type) ? s.type : [s.type];
}

function parseJson(key: string, v: string): unknown {
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new InsightsError('INVALID_ARGUMENT', `parameter "${key}": not valid JSON: ${(e as Error).message}`, {
      parameter: key,
    });
  }
}
