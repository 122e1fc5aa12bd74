/** Shared helpers of the standard analytics modules (not a module itself). */
export { addDays, epochMs, utcDay, weekStart } from './time.ts';
export { bodyOf, contextUserId, eventSource, isEnrollmentEvent, isObj, legacyType, rawOf, toNumber } from './edx-fields.ts';
export type { Obj } from './edx-fields.ts';
export { compareStamps, stampOf } from './event-order.ts';
export type { Stamp } from './event-order.ts';
export { appendToEventLog, appendToEventLogs } from './event-log.ts';
export type { EventLogAppend, EventLogDoc } from './event-log.ts';
export { groupBy } from './group-by.ts';
export { uniqueById } from './unique.ts';
export { DEFAULT_MAX_CONFLICT_RETRIES, docId, KeyedUpdateConflict, updateKeyed, updateKeyedMany } from './keyed-doc.ts';
export type { KeyedUpdate } from './keyed-doc.ts';
export { chartView, formatParam, VIEW_FORMATS } from './view-format.ts';
export type { ChartViewInput, ViewFormat } from './view-format.ts';
