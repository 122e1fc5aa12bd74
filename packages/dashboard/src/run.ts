import type { Mesh, MeshDescription } from '@insights/client';
import { InsightsError, isInsightsError, type SerializedError } from '@insights/sdk';
import { coerceStringArgs } from '@insights/wire';
import { findAnalytic } from './catalog.ts';
import type { NodeFiles } from './node-files.ts';
import { tableOf, toOutcome, type Outcome, type ResultStore, type StoredResult } from './results.ts';
import type { ObjectSchema } from './schema.ts';
import type { EventStream } from './sse.ts';

/** Query results larger than this (JSON characters) are offered as downloads, not shown inline. */
const MAX_INLINE_JSON_CHARS = 1_000_000;

export type Query = Readonly<Record<string, string | string[] | undefined>>;

export interface CallSpec {
  readonly kind: 'query' | 'view';
  /** `<module>.<name>`, or a bare name. */
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly timeoutMs: number;
}

/**
 * Reads a call from a URL: the path names the analytic, the query string carries its
 * arguments as text (typed with the analytic's schema, as the node's HTTP API does) and
 * `_timeout`, the time limit in seconds.
 */
export function callFromQuery(
  kind: 'query' | 'view',
  name: string,
  query: Query,
  description: MeshDescription,
  defaultTimeoutMs: number,
): CallSpec {
  const analytic = findAnalytic(description, kind, name);
  const schema = (analytic?.params ?? {}) as ObjectSchema;
  const args = coerceStringArgs({ ...query }, schema as Parameters<typeof coerceStringArgs>[1]);
  const raw = Array.isArray(query._timeout) ? query._timeout[0] : query._timeout;
  let timeoutMs = defaultTimeoutMs;
  if (raw !== undefined && raw !== '') {
    const seconds = Number(raw);
    if (!(seconds > 0))
      throw new InsightsError('INVALID_ARGUMENT', 'time limit must be a positive number of seconds', { parameter: '_timeout' });
    timeoutMs = Math.round(seconds * 1000);
  }
  return { kind, name: analytic === undefined ? name : `${analytic.module}.${analytic.name}`, args, timeoutMs };
}

/** Calls through the viewer's proxy; `onProgress` is given only when someone is watching. */
export async function callMesh(
  mesh: Mesh,
  spec: CallSpec,
  signal: AbortSignal,
  onProgress?: (fraction: number, message: string) => void,
): Promise<Outcome> {
  const fn = mesh[spec.kind][spec.name];
  if (fn === undefined) throw new InsightsError('NOT_FOUND', `no ${spec.kind} ${spec.name}`);
  const value = await fn(spec.args, { timeoutMs: spec.timeoutMs, signal, ...(onProgress === undefined ? {} : { onProgress }) });
  return toOutcome(spec.kind, value);
}

export interface RunDeps {
  readonly results: ResultStore;
  readonly nodeFiles: NodeFiles;
  /** The unrestricted description, to learn nodes' file addresses. */
  readonly adminDescription: () => Promise<MeshDescription>;
}

/**
 * Runs a call for the browser over an event stream: `progress` events as the module reports,
 * then `result` (where to fetch it) or `error` (code, message, parameter). The stream closing
 * early aborts the call, and the abort travels to the node.
 */
export async function runOverStream(
  stream: EventStream,
  mesh: Mesh,
  spec: CallSpec,
  owner: string,
  deps: RunDeps,
): Promise<void> {
  try {
    stream.send('start', { analytic: spec.name, kind: spec.kind, timeoutMs: spec.timeoutMs });
    let outcome = await callMesh(mesh, spec, stream.signal, (fraction, message) =>
      stream.send('progress', { fraction, message }),
    );
    if (outcome.type === 'html') {
      await deps.nodeFiles.refresh(await deps.adminDescription());
      outcome = { type: 'html', html: deps.nodeFiles.rewrite(outcome.html) };
    }
    stream.send('result', describeResult(deps.results.put(owner, spec.name, outcome)));
  } catch (e) {
    stream.send('error', publicError(e));
  } finally {
    stream.end();
  }
}

/** What the browser needs to show a result. */
export function describeResult(r: StoredResult): Record<string, unknown> {
  const o = r.outcome;
  const base = {
    id: r.id,
    type: o.type,
    analytic: r.analytic,
    csv: tableOf(o) === undefined ? undefined : `/result/${r.id}/csv`,
    name: downloadName(r.analytic),
  };
  if (o.type !== 'json') return { ...base, frame: `/result/${r.id}/frame` };
  const text = JSON.stringify(o.value) ?? 'null';
  return {
    ...base,
    json: `/result/${r.id}/json`,
    ...(text.length <= MAX_INLINE_JSON_CHARS ? { value: o.value } : { tooLarge: text.length }),
  };
}

/** A file name for downloads of an analytic's result (without extension). */
export function downloadName(analytic: string): string {
  return analytic.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** An error as the browser sees it: the code and message, never a stack. */
export function publicError(e: unknown): SerializedError {
  if (isInsightsError(e)) {
    const { suggestions: _hidden, ...rest } = e.toJSON(); // suggestions could name analytics a role may not see
    return rest;
  }
  return { code: 'INTERNAL', message: 'the dashboard failed unexpectedly; see its log' };
}
