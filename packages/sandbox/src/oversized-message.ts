import type { MessageSink } from './outbox.ts';
import type { ChildMessage, DoneMessage, FailedMessage } from './protocol.ts';

/** Whoever waits for a refused message in the sandbox: the module's requests, by id. */
export interface RefusedRequests {
  settle(m: FailedMessage | DoneMessage): void;
}

/** What an answer refused for its size names as its `parameter`: the node may ask again in parts (sandbox-host.ts). */
export const ANSWER_OVER_LIMIT = 'MAX_MESSAGE_BYTES';

/** The most of a refused error's text that is sent on (an error message may be the oversized part). */
const ERROR_TEXT = 8 * 1024;

/**
 * A message the sandbox did not send because it serialises to more than the channel's limit for
 * one message (channel-limits.ts; the node would kill a sandbox that wrote it): whoever waits for
 * it hears why, and the sandbox lives on. The module's own request (`ctx.db`, `ctx.emit`, ...)
 * fails with RESOURCE_EXHAUSTED naming the limit, as a database refuses a document over its size;
 * an answer to the node becomes that error; a log record is replaced by a note that it was dropped.
 */
export function refuseOversized(
  m: ChildMessage,
  bytes: number,
  maxBytes: number,
  out: MessageSink<ChildMessage>,
  requests: RefusedRequests,
): void {
  const over = `${bytes} bytes serialised, over the sandbox channel's limit of ${maxBytes} bytes for one message (MAX_MESSAGE_BYTES)`;
  switch (m.type) {
    case 'db':
    case 'emit':
    case 'sql':
    case 'mesh':
    case 'event-property':
    case 'file-url':
    case 'learner-id': {
      const message = `${requestName(m)} is ${over}: split it, or keep large data in files (ctx.fs)`;
      requests.settle({ type: 'failed', id: m.id, error: { code: 'RESOURCE_EXHAUSTED', message } });
      return;
    }
    case 'done': {
      const error = { code: 'RESOURCE_EXHAUSTED', message: `the answer is ${over}`, parameter: ANSWER_OVER_LIMIT };
      out.push({ type: 'failed', id: m.id, error });
      return;
    }
    case 'failed':
      out.push({ type: 'failed', id: m.id, error: { code: m.error.code, message: m.error.message.slice(0, ERROR_TEXT) } });
      return;
    case 'log':
      out.push({ type: 'log', level: 'warn', msg: `a log record was dropped: it is ${over}`, fields: undefined });
      return;
    case 'ready':
      out.push({ type: 'load-failed', message: `the module's manifest is ${over}` });
      return;
    default:
      // Progress and the runtime's own small messages: nothing waits for them.
      return;
  }
}

function requestName(m: ChildMessage): string {
  switch (m.type) {
    case 'db':
      return `ctx.db ${m.op.op === 'call' ? `${m.op.method} on ${short(m.op.collection)}` : m.op.op}`;
    case 'emit':
      return 'ctx.emit';
    case 'mesh':
      return `the nested call ${short(m.name)}`;
    case 'event-property':
      return `the event property ${short(m.name)}`;
    default:
      return `ctx.${m.type}`;
  }
}

/** A name the module chose, cut short: it may be the oversized part itself. */
function short(name: string): string {
  return name.length > 100 ? `${name.slice(0, 100)}…` : name;
}
