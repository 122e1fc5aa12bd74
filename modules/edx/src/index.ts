/**
 * The edX data layer as a module: a normaliser that turns Open edX tracking-log lines,
 * processed events and xAPI statements into envelopes, the event properties (`tincan.*`,
 * `edx.*`) for both sources, and a query converting an edX event to xAPI.
 */
import { createHash } from 'node:crypto';
import { defineModule, eventProperty, invalidArgument, normaliser, query, z } from '@insights/sdk';
import { EVENT_PROPERTIES, fromTrackingLog, isXapiStatement, normalise, edxToXapi, isEdxDataError } from './lib.ts';

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
      run: ({ event, lms_root_url }) => {
        try {
          return edxToXapi(fromTrackingLog(event), {
            lmsRootUrl: lms_root_url,
            // An anonymised, stable account name per user (upstream uses a UUID per user).
            actorId: (user) => createHash('sha256').update(`insights:${user}`).digest('hex').slice(0, 32),
          });
        } catch (e) {
          if (isEdxDataError(e)) throw invalidArgument('event', e.message);
          throw e;
        }
      },
    }),
  },
});
