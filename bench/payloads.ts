import { randomBytes } from 'node:crypto';

/** The same large payloads our echo module returns, for the raw-transport baselines. */
export function bigPayload(kind: string | undefined): Buffer | undefined {
  if (kind === 'json1mb')
    return Buffer.from(
      JSON.stringify(
        Array.from({ length: 9000 }, (_, i) => ({
          learner: `learner-${i}`,
          course: 'MITx/6.002x/2013_Spring',
          grade: (i % 100) / 100,
          attempts: i % 7,
        })),
      ),
    );
  if (kind === 'png1mb') return randomBytes(1024 * 1024);
  return undefined;
}

export const SMALL_ARGS = { x: 1 };
export const SMALL_BYTES = Buffer.from(JSON.stringify(SMALL_ARGS));
