import { randomBytes } from 'node:crypto';
import type { Principal } from './principal.ts';

/**
 * Logged-in sessions, in memory: an unguessable id (the cookie) to a principal, with a fixed
 * lifetime. A restart logs everyone out, which is acceptable for a dashboard and keeps no
 * secrets on disk.
 */
export class SessionStore {
  readonly #sessions = new Map<string, { principal: Principal; expiresAt: number }>();
  readonly #sweep: NodeJS.Timeout;

  constructor(private readonly ttlSeconds: number) {
    this.#sweep = setInterval(() => this.#dropExpired(), 60_000).unref();
  }

  create(principal: Principal): string {
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { principal, expiresAt: Date.now() + this.ttlSeconds * 1000 });
    return id;
  }

  get(id: string): Principal | undefined {
    const s = this.#sessions.get(id);
    if (s === undefined) return undefined;
    if (s.expiresAt <= Date.now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return s.principal;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  close(): void {
    clearInterval(this.#sweep);
    this.#sessions.clear();
  }

  #dropExpired(): void {
    const now = Date.now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
  }
}
