import { InsightsError } from '@insights/sdk';

/**
 * One signal that aborts at the deadline or when `parent` aborts, whichever comes first, with a
 * coded reason (DEADLINE_EXCEEDED or CANCELLED). `dispose()` clears the timer when the call ends.
 */
export function deadlineSignal(deadline: number, parent?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const ms = deadline - Date.now();
  const onParent = () => controller.abort(cancelledReason(parent?.reason));
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  let timer: NodeJS.Timeout | undefined;
  if (!controller.signal.aborted) {
    if (ms <= 0) controller.abort(deadlineExceeded());
    else timer = setTimeout(() => controller.abort(deadlineExceeded()), ms);
  }
  return {
    signal: controller.signal,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

export function deadlineExceeded(message = 'deadline exceeded'): InsightsError {
  return new InsightsError('DEADLINE_EXCEEDED', message);
}

function cancelledReason(reason: unknown): InsightsError {
  if (reason instanceof InsightsError) return reason;
  return new InsightsError('CANCELLED', 'call cancelled by the caller');
}

/** Resolves with `work`, or rejects with the signal's reason as soon as it aborts. */
export function raceSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The work is already running: whatever it ends with later is nobody's to handle.
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}

/** The earlier of two optional absolute deadlines. */
export function minDeadline(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
