import { InsightsError } from '@insights/sdk';
import type { CallOutcome } from '@insights/wire';
import type { ModuleHost } from '../host.ts';
import { EventRouter } from './event-router.ts';

/**
 * An event property called from outside (`mesh.events.property`, gRPC kind EVENT_PROPERTY, HTTP
 * `POST /property/<name>`): the arguments are `{ event }`, a platform event as it was logged or an
 * envelope; it is normalised by this node's data layers, then computed by the module that serves
 * the property for the event's source.
 */
export async function callProperty(hosts: ReadonlyMap<string, ModuleHost>, name: string, args: unknown): Promise<CallOutcome> {
  const event = typeof args === 'object' && args !== null ? (args as { event?: unknown }).event : undefined;
  if (event === undefined || event === null)
    throw new InsightsError(
      'INVALID_ARGUMENT',
      `event property "${name}" is called with {"event": ...}: a platform event as logged, or an envelope`,
      { parameter: 'event' },
    );
  const router = new EventRouter(hosts);
  const { envelopes, errors } = await router.normalise([event]);
  const e = envelopes[0];
  if (e === undefined)
    throw new InsightsError('INVALID_ARGUMENT', `event: ${errors[0]?.message ?? 'could not be normalised'}`, {
      parameter: 'event',
    });
  // JSON has no undefined: a property with no value for this event answers null.
  return { type: 'json', value: (await router.property(e, name)) ?? null };
}
