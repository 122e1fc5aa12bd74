/**
 * Shape checks for what a sandbox sends that the node then uses: its manifest (Describe, the
 * dispatcher) and call results (the wire codec). A module can post anything on its channel; a
 * malformed value must fail its own call, never the node's code that reads it later.
 */
import { isModuleName, MAX_LEARNER_FIELDS, MODULE_NAME_RULE } from '@insights/sdk';
import type { CallOutcome } from '@insights/wire';
import type { ModuleManifest } from '@insights/runtime/internal';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

export function checkManifest(v: unknown): ModuleManifest {
  const ok =
    isObject(v) &&
    typeof v.name === 'string' &&
    typeof v.version === 'string' &&
    typeof v.description === 'string' &&
    Array.isArray(v.analytics) &&
    (v.learnerFields === undefined ||
      (isStrings(v.learnerFields) &&
        v.learnerFields.length <= MAX_LEARNER_FIELDS &&
        v.learnerFields.every((f) => f.length <= 64))) &&
    v.analytics.every(
      (a: unknown) =>
        isObject(a) &&
        typeof a.kind === 'string' &&
        typeof a.name === 'string' &&
        isStrings(a.aliases) &&
        typeof a.description === 'string' &&
        isObject(a.paramsSchema) &&
        typeof a.idempotent === 'boolean' &&
        isObject(a.meta),
    );
  if (!ok) throw new Error('the sandbox sent a malformed manifest');
  const reads = v.reads ?? {};
  if (!isObject(reads) || !Object.entries(reads).every(([owner, cs]) => isModuleName(owner) && isStrings(cs)))
    throw new Error('the sandbox sent a malformed manifest (reads)');
  if (!isModuleName(v.name))
    throw new Error(
      `the sandbox reported the module name ${JSON.stringify(v.name).slice(0, 80)}, which is not allowed: it must be ${MODULE_NAME_RULE}`,
    );
  return {
    ...(v as unknown as ModuleManifest),
    reads: reads as ModuleManifest['reads'],
    learnerFields: (v.learnerFields as string[] | undefined) ?? [],
  };
}

export function isCallOutcome(v: unknown): v is CallOutcome {
  if (!isObject(v)) return false;
  switch (v.type) {
    case 'json':
      // From a sandbox, JSON results arrive encoded (child-main.ts).
      return typeof v.encoded === 'string' || v.encoded instanceof Uint8Array || 'value' in v;
    case 'html':
      return typeof v.html === 'string';
    case 'svg':
      return typeof v.svg === 'string';
    case 'png':
      return v.data instanceof Uint8Array;
    case 'table':
      return isStrings(v.columns) && Array.isArray(v.rows) && v.rows.every(Array.isArray);
    case 'vega-lite':
      return isObject(v.spec);
    default:
      return false;
  }
}
