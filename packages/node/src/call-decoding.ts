import { InsightsError } from '@insights/sdk';
import { checkJsonLimits, decodeArgs, describeJsonBreach, kindFromWire } from '@insights/wire';

/** Checks the wire kind of a call: queries, views, and event properties (called with `{ event }`). */
export function callableKind(wireKind: number): 'query' | 'view' | 'event-property' {
  const kind = kindFromWire(wireKind);
  if (kind === 'query' || kind === 'view' || kind === 'event-property') return kind;
  throw new InsightsError(
    'INVALID_ARGUMENT',
    `kind must be QUERY or VIEW (or EVENT_PROPERTY with {"event": ...}), got ${kind === undefined ? `unknown value ${wireKind}` : kind.toUpperCase().replace('-', '_')}`,
    { parameter: 'kind' },
  );
}

/** What call arguments may be before they are parsed. */
export interface ArgsLimits {
  /** maxRequestBytes of the node config. */
  readonly maxBytes: number;
  /** limits.maxJsonDepth of the node config. */
  readonly maxDepth: number;
}

/**
 * Parses JSON arguments after a scan of their size and depth (before JSON.parse builds anything:
 * deeply nested arguments once held tens of MB each until their deadline), turning a syntax error
 * into INVALID_ARGUMENT that says where.
 */
export function parseArgsJson(bytes: Uint8Array, limits: ArgsLimits): unknown {
  const breach = checkJsonLimits(bytes, limits);
  if (breach?.limit === 'maxBytes')
    throw new InsightsError('RESOURCE_EXHAUSTED', describeJsonBreach('arguments', breach, 'maxRequestBytes'));
  if (breach !== undefined)
    throw new InsightsError('INVALID_ARGUMENT', describeJsonBreach('arguments', breach, 'limits.maxJsonDepth'), {
      parameter: 'args_json',
    });
  try {
    return decodeArgs(bytes);
  } catch (e) {
    throw new InsightsError('INVALID_ARGUMENT', `arguments are not valid JSON: ${(e as Error).message}`, {
      parameter: 'args_json',
    });
  }
}

/**
 * The absolute deadline of a call asking for `timeoutMs` (0 or less: none given, the node's
 * default applies). A caller may not hold a slot longer than `maxDeadlineMs`.
 */
export function callDeadline(timeoutMs: number, maxDeadlineMs: number, parameter: string): number | undefined {
  if (!(timeoutMs > 0)) return undefined;
  if (timeoutMs > maxDeadlineMs)
    throw new InsightsError(
      'INVALID_ARGUMENT',
      `${parameter} ${timeoutMs} ms is longer than this node allows (${maxDeadlineMs} ms, limits.maxDeadlineMs)`,
      { parameter },
    );
  return Date.now() + timeoutMs;
}
