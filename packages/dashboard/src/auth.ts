import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { InsightsError } from '@insights/sdk';
import type { DashboardConfig } from './config.ts';
import { verifyNothing, verifyPassword } from './passwords.ts';
import type { Principal } from './principal.ts';
import { SessionStore } from './sessions.ts';
import { UsersFile } from './users.ts';

export const SESSION_COOKIE = 'insights_session';
/** Wrong passwords in a row before a user name is locked out, and for how long, ms. */
const MAX_FAILURES = 5;
const LOCKOUT_MS = 15 * 60_000;

/** What the authenticator reads from a request. */
export interface RequestFacts {
  readonly headers: IncomingHttpHeaders;
  readonly peer: string | undefined;
  readonly cookies: Readonly<Record<string, string>>;
}

/**
 * Maps a request to a principal, the three ways an operator can choose: nobody logs in (one
 * role for all), a login form against the users file, or a header set by a trusted single
 * sign-on proxy.
 */
export class Authenticator {
  readonly #sessions: SessionStore;
  readonly #users: UsersFile | undefined;
  readonly #failures = new Map<string, { count: number; last: number }>();

  constructor(private readonly config: DashboardConfig) {
    this.#sessions = new SessionStore(config.sessionTtlSeconds);
    const auth = config.auth;
    const file = auth.kind === 'users' ? auth.usersFile : auth.kind === 'header' ? auth.usersFile : undefined;
    this.#users = file === undefined ? undefined : new UsersFile(path.resolve(config.baseDir, file), Object.keys(config.roles));
  }

  /** True when people log in with the form (and so can log out). */
  get usesLoginForm(): boolean {
    return this.config.auth.kind === 'users';
  }

  /** The principal of a request, or undefined when it must log in first. */
  identify(req: RequestFacts): Principal | undefined {
    const auth = this.config.auth;
    switch (auth.kind) {
      case 'none':
        return { user: 'anonymous', name: 'anonymous', role: auth.role, context: {}, via: 'none' };
      case 'users': {
        const id = req.cookies[SESSION_COOKIE];
        const p = id === undefined ? undefined : this.#sessions.get(id);
        if (p === undefined || this.isCurrent(p)) return p;
        // Removed, or password, role or context changed since login: the session ends here.
        this.#sessions.delete(id!);
        return undefined;
      }
      case 'header': {
        if (req.peer === undefined || !auth.trustedProxies.includes(req.peer))
          throw new InsightsError(
            'UNAUTHENTICATED',
            `requests must come through the single sign-on proxy (peer ${req.peer ?? 'unknown'} is not trusted)`,
          );
        const raw = req.headers[auth.userHeader.toLowerCase()];
        const user = (Array.isArray(raw) ? raw[0] : raw)?.trim();
        if (!user)
          throw new InsightsError('UNAUTHENTICATED', `the single sign-on proxy did not name a user (header ${auth.userHeader})`);
        const u = this.#users?.get(user);
        if (u !== undefined)
          return { user, name: u.name ?? user, role: u.role, context: u.context, via: 'header', generation: u.generation };
        if (auth.defaultRole !== undefined) return { user, name: user, role: auth.defaultRole, context: {}, via: 'header' };
        throw new InsightsError('PERMISSION_DENIED', `user ${user} has no role on this dashboard; ask an operator to add them`);
      }
    }
  }

  /**
   * Checks a password; on success returns a new session id and its principal. After
   * MAX_FAILURES wrong passwords for one name, that name is locked out for LOCKOUT_MS.
   */
  async login(user: string, password: string): Promise<{ sessionId: string; principal: Principal } | undefined> {
    const now = Date.now();
    const f = this.#failures.get(user);
    if (f !== undefined && f.count >= MAX_FAILURES && now - f.last < LOCKOUT_MS)
      throw new InsightsError(
        'RESOURCE_EXHAUSTED',
        `too many failed logins for ${user}; try again in ${Math.ceil((LOCKOUT_MS - (now - f.last)) / 60_000)} minutes`,
      );
    const u = this.#users?.get(user);
    const ok =
      u === undefined || u.password === undefined ? await verifyNothing(password) : await verifyPassword(password, u.password);
    if (!ok || u === undefined) {
      if (this.#failures.size > 10_000) this.#failures.clear(); // bounded: a flood of names cannot exhaust memory
      this.#failures.set(user, { count: (f !== undefined && now - f.last < LOCKOUT_MS ? f.count : 0) + 1, last: now });
      return undefined;
    }
    this.#failures.delete(user);
    const principal: Principal = {
      user,
      name: u.name ?? user,
      role: u.role,
      context: u.context,
      via: 'session',
      generation: u.generation,
    };
    return { sessionId: this.#sessions.create(principal), principal };
  }

  /**
   * Whether a principal made earlier (a session, an embed URL) still stands: a users-file user
   * must still be there with the same generation; others (role embeds, no login) carry none.
   */
  isCurrent(p: Principal): boolean {
    if (p.generation === undefined) return true;
    return this.#users?.get(p.user)?.generation === p.generation;
  }

  /** PERMISSION_DENIED unless an embed URL's user still stands as it was when the URL was made. */
  checkEmbed(p: Principal): void {
    if (!this.isCurrent(p))
      throw new InsightsError(
        'PERMISSION_DENIED',
        'this embed link was revoked: its user was removed or changed (password, role or context); ask for a new one',
      );
  }

  logout(cookies: Readonly<Record<string, string>>): void {
    const id = cookies[SESSION_COOKIE];
    if (id !== undefined) this.#sessions.delete(id);
  }

  close(): void {
    this.#sessions.close();
  }
}

/** Parses a Cookie header (no dependency for four lines). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // a malformed cookie of someone else's: ignore it
    }
  }
  return out;
}
