import { createHmac } from 'node:crypto';
import { InsightsError } from '@insights/sdk';

/** Shortest learner-id key the node accepts (bytes of the secret as given). */
export const MIN_LEARNER_ID_KEY_CHARS = 32;
/** Longest learner id `ctx.learnerId` takes (an LMS id or username, never a document). */
export const MAX_LEARNER_ID_CHARS = 1024;

/**
 * The deployment's keyed learner ids (`ctx.learnerId`): HMAC-SHA256 with a secret only the node
 * holds, 128 bits as hex. An unkeyed hash of a user id is reversible by hashing every id; this
 * is not without the key. A sandboxed module asks the node over its channel.
 */
export class LearnerIdKey {
  readonly #key: Buffer;

  constructor(secret: string) {
    if (secret.length < MIN_LEARNER_ID_KEY_CHARS)
      throw new Error(`learnerIds.key must be at least ${MIN_LEARNER_ID_KEY_CHARS} characters`);
    this.#key = Buffer.from(secret);
  }

  of(id: unknown): string {
    if (typeof id !== 'string' || id === '' || id.length > MAX_LEARNER_ID_CHARS)
      throw new InsightsError(
        'INVALID_ARGUMENT',
        `ctx.learnerId(id): id must be a non-empty string of at most ${MAX_LEARNER_ID_CHARS} characters`,
        { parameter: 'id' },
      );
    return createHmac('sha256', this.#key).update(id, 'utf8').digest('hex').slice(0, 32);
  }
}

/** `ctx.learnerId` where the node was given no key: the operator's setting named. */
export function noLearnerIdKey(module: string): InsightsError {
  return new InsightsError(
    'FAILED_PRECONDITION',
    `module "${module}" needs keyed learner ids (ctx.learnerId), but this node has no key: set learnerIds.key in its config (or INSIGHTS_LEARNER_ID_KEY, the same on every node)`,
  );
}
