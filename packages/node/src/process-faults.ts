import { createLogger, stderrJsonSink, type Logger } from '@insights/runtime';

/** What reached the process with nobody to handle it. */
export type ProcessFaultKind = 'unhandledRejection' | 'uncaughtException';

/** Faults of this process so far, by kind (what /metrics reports as insights_process_faults_total). */
export interface ProcessFaultCounts {
  counts(): ReadonlyMap<ProcessFaultKind, number>;
}

export interface ProcessFaultPolicy extends ProcessFaultCounts {
  /** Takes the handlers off again. */
  dispose(): void;
}

export interface ProcessFaultOptions {
  /** Named in every record of the default logger. */
  readonly nodeId: string;
  /** Default: JSON lines on stderr, like the node's own log. */
  readonly log?: Logger;
  /**
   * Faults survived per minute (limits.maxProcessFaultsPerMinute). Beyond it the process is
   * failing in a loop rather than on one bad input, and a restart by its supervisor serves better.
   */
  readonly maxPerMinute: number;
  /** Ends the process (tests pass a recorder). */
  readonly exit: (code: number) => void;
  /** Clock, ms (tests pass their own). */
  readonly now?: () => number;
  /** Where the handlers go (tests pass an emitter of their own). */
  readonly target?: NodeJS.EventEmitter;
}

/** EX_SOFTWARE (sysexits.h): the process ends on purpose, after a fault it must not outlive. */
export const FATAL_FAULT_EXIT_CODE = 70;
const WINDOW_MS = 60_000;
/** Node's own invariants are broken: nothing in this process can be trusted afterwards. */
const FATAL_ERROR_CODES: ReadonlySet<string> = new Set(['ERR_INTERNAL_ASSERTION']);

/**
 * The node process's answer to a rejection or exception nobody handled: log it with what is known,
 * count it, and keep serving. One bad request, message or module must not take every other
 * caller's node down (a redelivered poison message would do it again after each restart). Exits
 * only when Node itself is broken or faults come in a loop (more than `maxPerMinute`).
 * Installed by the process entry (`insights node`), never by a library: handlers are process-wide.
 */
export function installProcessFaultPolicy(options: ProcessFaultOptions): ProcessFaultPolicy {
  const target = options.target ?? process;
  const now = options.now ?? Date.now;
  const log = options.log ?? createLogger(stderrJsonSink, { node: options.nodeId });
  const counts = new Map<ProcessFaultKind, number>([
    ['unhandledRejection', 0],
    ['uncaughtException', 0],
  ]);
  const recent: number[] = [];
  const onFault = (kind: ProcessFaultKind) => (reason: unknown) => {
    const total = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, total);
    const at = now();
    recent.push(at);
    while (recent.length > 0 && recent[0]! <= at - WINDOW_MS) recent.shift();
    const fatal = fatalCause(reason, recent.length, options.maxPerMinute);
    const fields = { kind, total, ...describeReason(reason), ...(fatal === undefined ? {} : { fatal }) };
    if (fatal === undefined) {
      log.error(`${kind} survived: logged and counted, the node keeps serving`, fields);
      return;
    }
    log.error(`${kind} is fatal: the node exits for its supervisor to restart it`, fields);
    options.exit(FATAL_FAULT_EXIT_CODE);
  };
  const listeners = {
    unhandledRejection: onFault('unhandledRejection'),
    uncaughtException: onFault('uncaughtException'),
  };
  target.on('unhandledRejection', listeners.unhandledRejection);
  target.on('uncaughtException', listeners.uncaughtException);
  return {
    counts: () => counts,
    dispose() {
      target.off('unhandledRejection', listeners.unhandledRejection);
      target.off('uncaughtException', listeners.uncaughtException);
    },
  };
}

/** Why this fault ends the process, or undefined when the node survives it. */
function fatalCause(reason: unknown, inWindow: number, maxPerMinute: number): string | undefined {
  const code = (reason as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FATAL_ERROR_CODES.has(code)) return `${code}: Node's own state is broken`;
  if (inWindow > maxPerMinute) return `more than limits.maxProcessFaultsPerMinute (${maxPerMinute}) faults in one minute`;
  return undefined;
}

/** Name, message, code and stack of an Error; anything else thrown as a bounded string. */
function describeReason(reason: unknown): Record<string, unknown> {
  if (reason instanceof Error) {
    const code = (reason as { code?: unknown }).code;
    return {
      error: reason.message,
      errorName: reason.name,
      ...(code === undefined ? {} : { errorCode: String(code) }),
      stack: reason.stack,
    };
  }
  let text: string;
  try {
    text = typeof reason === 'string' ? reason : (JSON.stringify(reason) ?? String(reason));
  } catch {
    text = Object.prototype.toString.call(reason);
  }
  return { error: text.slice(0, 1000), errorName: typeof reason };
}
