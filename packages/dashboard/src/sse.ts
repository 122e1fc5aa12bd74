import type { FastifyReply } from 'fastify';

/** Keeps proxies and browsers from timing out an idle stream, ms. */
const KEEPALIVE_MS = 15_000;

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Aborted when the browser goes away (closed tab, cancel button): that is how calls are cancelled. */
  readonly signal: AbortSignal;
  end(): void;
}

/** Turns a reply into a Server-Sent Events stream. */
export function openEventStream(reply: FastifyReply): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no', // nginx: pass events through as they come
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  const controller = new AbortController();
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS).unref();
  const gone = () => {
    clearInterval(keepalive);
    if (!res.writableEnded) controller.abort();
  };
  // The response's close, not the request's: a GET request "closes" as soon as it is read.
  res.on('close', gone);
  return {
    signal: controller.signal,
    send(event, data) {
      if (res.writableEnded || controller.signal.aborted) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      clearInterval(keepalive);
      if (!res.writableEnded) res.end();
    },
  };
}
