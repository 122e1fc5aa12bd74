import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { policyContextSchema, type PolicyContext } from '@insights/policy';
import { InsightsError } from '@insights/sdk';
import { z } from 'zod';

const userSchema = z.strictObject({
  /** `scrypt$...` from `insights dashboard hash-password`; absent for single-sign-on users. */
  password: z.string().min(1).optional(),
  role: z.string().min(1),
  /** Values the role's locks read, e.g. `{ "course": "MITx/6.002x/2013" }`. */
  context: policyContextSchema.default({}),
  /** Shown in the header instead of the user name. */
  name: z.string().optional(),
});

/** `{ "<user>": { "password": "scrypt$...", "role": "instructor", "context": { "course": "..." } } }` */
export const usersFileSchema = z.record(z.string().min(1), userSchema);

export interface UserRecord {
  readonly password: string | undefined;
  readonly role: string;
  readonly context: PolicyContext;
  readonly name: string | undefined;
  /**
   * Changes whenever the user's password, role or context changes: sessions and embed URLs
   * remember the generation they were made under and stop working when it moves (or the user
   * is removed). Derived from the record, so it survives restarts and needs no counter on disk.
   */
  readonly generation: string;
}

function generationOf(u: { password?: string | undefined; role: string; context: Readonly<Record<string, unknown>> }): string {
  return createHash('sha256')
    .update(JSON.stringify([u.password ?? '', u.role, u.context]))
    .digest('base64url')
    .slice(0, 16);
}

/**
 * The users file, read at start and re-read when it changes on disk (so an operator adds a user
 * without a restart). Every user's role must exist in the configuration.
 */
export class UsersFile {
  #users = new Map<string, UserRecord>();
  #mtimeMs = -1;
  #checkedAt = 0;

  constructor(
    readonly file: string,
    private readonly roles: readonly string[],
  ) {
    this.#load();
  }

  get(user: string): UserRecord | undefined {
    this.#reloadIfChanged();
    return this.#users.get(user);
  }

  #reloadIfChanged(): void {
    // A stat at most once a second: logins are rare, but every request looks a user up.
    const now = Date.now();
    if (now - this.#checkedAt < 1000) return;
    this.#checkedAt = now;
    try {
      const { mtimeMs } = statSafe(this.file);
      if (mtimeMs !== this.#mtimeMs) this.#load();
    } catch {
      // keep the last good copy; the next look tries again
    }
  }

  #load(): void {
    const mtimeMs = statSafe(this.file).mtimeMs;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (e) {
      throw new InsightsError('INVALID_ARGUMENT', `users file ${this.file}: ${(e as Error).message}`, { parameter: 'usersFile' });
    }
    const r = usersFileSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new InsightsError(
        'INVALID_ARGUMENT',
        `users file ${this.file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
        {
          parameter: 'usersFile',
        },
      );
    }
    for (const [user, u] of Object.entries(r.data))
      if (!this.roles.includes(u.role))
        throw new InsightsError('INVALID_ARGUMENT', `users file ${this.file}: ${user}: role "${u.role}" is not configured`, {
          parameter: 'usersFile',
        });
    this.#users = new Map(
      Object.entries(r.data).map(([k, u]) => [
        k,
        { password: u.password, role: u.role, context: u.context, name: u.name, generation: generationOf(u) },
      ]),
    );
    this.#mtimeMs = mtimeMs;
  }
}

function statSafe(file: string): { mtimeMs: number } {
  try {
    return statSync(file);
  } catch (e) {
    throw new InsightsError('INVALID_ARGUMENT', `users file ${file}: ${(e as Error).message}`, { parameter: 'usersFile' });
  }
}
