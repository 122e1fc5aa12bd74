import { InsightsError } from '@insights/sdk';
import { decodeArgs, kindFromWire } from '@insights/wire';

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

/** Parses JSON arguments, turning a syntax error into INVALID_ARGUMENT that says where. */
export function parseArgsJson(bytes: Uint8Array, maxBytes: number): unknown {
  if (bytes.length > maxBytes)
    throw new InsightsError(
      'RESOURCE_EXHAUSTED',
      `arguments are ${bytes.length} bytes; this node accepts at most ${maxBytes} (maxRequestBytes)`,
    );
  try {
    return decodeArgs(bytes);
  } catch (e) {
    throw new InsightsError('INVALID_ARGUMENT', `arguments are not valid JSON: ${(e as Error).message}`, {
      parameter: 'args_json',
    });
  }
}
