/**
 * The common event envelope. Every ingest path (HTTP, gRPC, NATS, log import) normalises raw
 * platform events into this shape through a data-layer module before they reach handlers.
 */
export interface EventEnvelope {
  /** Stable id: the event's own id where it has one, else a hash of its canonical raw form. */
  readonly id: string;
  /** ISO-8601 UTC timestamp with zone (`2014-06-19T10:32:11.123Z`). */
  readonly time: string;
  /** Which platform produced it: `edx`, `xapi`, `caliper`, `test`, ... Used for property dispatch. */
  readonly source: string;
  /** Event type, e.g. `problem_check`, `edx.forum.thread.created`, `page_view` for URL-path events. */
  readonly type: string;
  /** The learner or user who acted, as a string id (`context.user_id`, else username), if known. */
  readonly actor?: string | undefined;
  /** Course id in its original form (`org/course/run` or `course-v1:org+course+run`), if known. */
  readonly course?: string | undefined;
  /** The resource acted on (problem id, video id, page URL, ...), if known. */
  readonly resource?: string | undefined;
  /** The event body, decoded (edX `event` JSON strings are parsed). */
  readonly payload: unknown;
  /** The raw event exactly as received. */
  readonly raw: unknown;
  /** How many derived-event hops led here (0 for platform events); cuts emit loops. */
  readonly hops?: number;
}
