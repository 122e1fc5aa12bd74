import type { ModuleLog } from '@insights/sdk';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  level: LogLevel;
  time: string;
  msg: string;
  [field: string]: unknown;
}

/** Where log records go; the node writes JSON lines to stderr by default. */
export type LogSink = (record: LogRecord) => void;

export const stderrJsonSink: LogSink = (r) => {
  process.stderr.write(`${JSON.stringify(r)}\n`);
};

export interface Logger extends ModuleLog {
  child(fields: Record<string, unknown>): Logger;
  level: LogLevel;
}

/** Structured logger: every record carries the bound fields (node, module, call). */
export function createLogger(sink: LogSink, fields: Record<string, unknown> = {}, level: LogLevel = 'info'): Logger {
  const state = { level };
  const make = (bound: Record<string, unknown>): Logger => {
    const emit = (lvl: LogLevel) => (msg: string, extra?: Record<string, unknown>) => {
      if (LOG_LEVELS[lvl] < LOG_LEVELS[state.level]) return;
      sink({ level: lvl, time: new Date().toISOString(), msg, ...bound, ...extra });
    };
    return {
      debug: emit('debug'),
      info: emit('info'),
      warn: emit('warn'),
      error: emit('error'),
      child: (more) => make({ ...bound, ...more }),
      get level() {
        return state.level;
      },
      set level(l: LogLevel) {
        state.level = l;
      },
    };
  };
  return make(fields);
}
