import { LOG_LEVELS } from '@insights/runtime/internal';
import type { Logger, LogLevel } from '@insights/runtime/internal';
import { LogRateLimiter } from './log-rate.ts';

/**
 * A logger (and all its children) sharing one token bucket: an inline module's log gets the same
 * per-module rate limit a sandboxed module's does. Dropped records are summarised once a second.
 */
export function rateLimitedLogger(log: Logger, perSecond: number): Logger {
  const limiter = new LogRateLimiter(perSecond);
  let reporting = false;
  const report = (inner: Logger) => {
    if (reporting) return;
    reporting = true;
    setTimeout(() => {
      reporting = false;
      inner.warn('module log throttled', { dropped: limiter.takeDropped() });
    }, 1000).unref();
  };
  const wrap = (inner: Logger): Logger => {
    const emit = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
      if (LOG_LEVELS[level] < LOG_LEVELS[inner.level]) return;
      if (limiter.take()) inner[level](msg, fields);
      else report(inner);
    };
    return {
      debug: emit('debug'),
      info: emit('info'),
      warn: emit('warn'),
      error: emit('error'),
      child: (fields) => wrap(inner.child(fields)),
      get level() {
        return inner.level;
      },
      set level(l: LogLevel) {
        inner.level = l;
      },
    };
  };
  return wrap(log);
}
