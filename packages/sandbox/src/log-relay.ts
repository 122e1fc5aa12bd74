import { LOG_LEVELS } from '@insights/runtime/internal';
import type { Logger, LogLevel } from '@insights/runtime/internal';
import { LogRateLimiter } from './log-rate.ts';

const MAX_MESSAGE = 8 * 1024;
const STDERR_TAIL = 8 * 1024;
const RESERVED = new Set(['level', 'time', 'msg', 'module', 'node']);

/**
 * Writes a sandbox's log records and stdout/stderr lines to the node's logger under the module's
 * name. The sandbox throttles its own log already; this second limiter is the node's guard
 * against a module that bypasses it (it can post on the channel directly), and it also covers
 * console output. It keeps the end of stderr, which explains crashes (V8's out-of-memory report).
 */
export class LogRelay {
  #log: Logger;
  readonly #limiter: LogRateLimiter;
  #stderrTail = '';
  #reporting = false;

  readonly #root: Logger;

  /** `root` is the node's logger; records carry `module` (provisional until the module is loaded). */
  constructor(root: Logger, module: string, perSecond: number) {
    this.#root = root;
    this.#log = root.child({ module });
    // Twice the module's own allowance: the sandbox's summaries and bursts pass, floods do not.
    this.#limiter = new LogRateLimiter(perSecond * 2);
  }

  /** The module's logger (the node's, with the module's name bound). */
  get log(): Logger {
    return this.#log;
  }

  /** Names the module in records from now on (once its name is known). */
  named(module: string): void {
    this.#log = this.#root.child({ module });
  }

  /** A record the sandbox sent; fields are untrusted, so reserved keys cannot be spoofed. */
  record(level: unknown, msg: unknown, fields: unknown): void {
    if (typeof level !== 'string' || !Object.hasOwn(LOG_LEVELS, level) || !this.#take()) return;
    let extra: Record<string, unknown> | undefined;
    if (typeof fields === 'object' && fields !== null)
      for (const [k, v] of Object.entries(fields)) if (!RESERVED.has(k)) (extra ??= {})[k] = v;
    this.#log[level as LogLevel](String(msg).slice(0, MAX_MESSAGE), extra);
  }

  /** A line the module printed (console.log, or Node itself on stderr). */
  line(stream: 'stdout' | 'stderr', text: string): void {
    if (stream === 'stderr') this.#stderrTail = (this.#stderrTail + text + '\n').slice(-STDERR_TAIL);
    if (text.trim() === '' || !this.#take()) return;
    this.#log[stream === 'stderr' ? 'warn' : 'info'](text, { stream });
  }

  /** The stderr line that says why a sandbox died (V8's fatal error, an uncaught error), or ''. */
  crashDetail(): string {
    const line = this.#stderrTail.split('\n').find((l) => /^(FATAL ERROR|[A-Za-z]*Error\b|Uncaught|Segmentation fault)/.test(l));
    this.#stderrTail = '';
    return (line ?? '').slice(0, 500);
  }

  #take(): boolean {
    if (this.#limiter.take()) return true;
    if (!this.#reporting) {
      this.#reporting = true;
      setTimeout(() => {
        this.#reporting = false;
        this.#log.warn('module log throttled by the node', { dropped: this.#limiter.takeDropped() });
      }, 1000).unref();
    }
    return false;
  }
}
