/**
 * The edX data layer as a module: a normaliser that turns Open edX tracking-log lines,
 * processed events and xAPI statements into envelopes, the event properties (`tincan.*`,
 * `edx.*`) for both sources, and a query converting an edX event to xAPI.
 */
import { defineModule, eventProperty, invalidArgument, normaliser, query, z } from '@insights/sdk';
import {
  EVENT_PROPERTIES,
  fromTrackingLog,
  isXapiStatement,
  normalise,
  edxToXapi,
  isEdxDataError,
  xapiActorUser,
} from './lib.ts';

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export default defineModule({
  name: 'edx',
  version: '0.1.0',
  description:
    'Open edX data layer: tracking logs, processed events and xAPI into envelopes; tincan.* and edx.* event properties.',

  normalisers: {
    edx_events: normaliser({
      source: 'edx',
      description: 'Open edX tracking-log lines and processed events (source edx), and xAPI statements (source xapi).',
      accepts: (raw) =>
        isObj(raw) &&
        (isXapiStatement(raw) ||
          typeof raw['event_type'] === 'string' ||
          (typeof raw['name'] === 'string' && ('timestamp' in raw || 'time' in raw))),
      normalise,
    }),
  },

  eventProperties: Object.fromEntries(
    EVENT_PROPERTIES.map((p) => [
      `${p.source}:${p.name}`,
      eventProperty({ name: p.name, sources: [p.source], description: p.description, compute: p.compute }),
    ]),
  ),

  queries: {
    to_xapi: query({
      description: 'Converts one Open edX event (tracking-log line or processed shape) to xAPI 1.0.3 statement(s).',
      params: {
        event: z.record(z.string(), z.unknown()).describe('The edX event as JSON'),
        lms_root_url: z.string().url().default('http://localhost:18000').describe('LMS root URL: base of activity IRIs'),
      },
      run: async ({ event, lms_root_url }, ctx) => {
        try {
          const edx = fromTrackingLog(event);
          // A stable account name per user that only the deployment can link back (upstream: a UUID
          // per user). Keyed by the node: an unkeyed hash of a user id is reversed by trying every id.
          const user = xapiActorUser(edx);
          const actor = user === undefined ? undefined : await ctx.learnerId(user);
          return edxToXapi(edx, {
            lmsRootUrl: lms_root_url,
            actorId: (u) => {
              if (u !== user || actor === undefined) throw new Error(`edx.to_xapi: no actor id for user ${u}`);
              return actor;
            },
          });
        } catch (e) {
          if (isEdxDataError(e)) throw invalidArgument('event', e.message);
          throw e;
        }
      },
    }),
  },
});
