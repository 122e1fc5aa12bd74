/** Raw edX tracking-log events for the modules' own fixtures, in the shape the LMS writes them. */

export interface EdxEventSpec {
  readonly type: string;
  /** `server` (default), `browser`, `mobile` or `task`. */
  readonly source?: string;
  /** `context.user_id`; omitted: an event without a learner id. */
  readonly user?: number | string;
  readonly username?: string;
  readonly course?: string;
  /** ISO-8601; a naive time is UTC, as in the logs. */
  readonly time: string;
  /** The body: objects stay objects (server events); browser events carry JSON text. */
  readonly event?: unknown;
  readonly name?: string;
  /** Extra `context` fields (module, path, ...). */
  readonly context?: Record<string, unknown>;
}

export function edxEvent(spec: EdxEventSpec): Record<string, unknown> {
  const source = spec.source ?? 'server';
  const body = spec.event ?? {};
  return {
    username: spec.username ?? (spec.user === undefined ? '' : `user${spec.user}`),
    event_source: source,
    event_type: spec.type,
    ...(spec.name === undefined ? {} : { name: spec.name }),
    time: spec.time,
    context: {
      ...(spec.user === undefined ? {} : { user_id: spec.user }),
      ...(spec.course === undefined ? {} : { course_id: spec.course }),
      org_id: 'TestX',
      ...spec.context,
    },
    event: source === 'browser' && typeof body !== 'string' ? JSON.stringify(body) : body,
    page: null,
  };
}
