import type { PolicyContext } from '@insights/policy';

/** Who a request acts for: a user, the role the operator gave them and the context its locks read. */
export interface Principal {
  /** Stable key (user name, or `embed:<user>` for an embed URL). */
  readonly user: string;
  /** What the header shows. */
  readonly name: string;
  readonly role: string;
  readonly context: PolicyContext;
  /** How the request was authenticated; only sessions can log out. */
  readonly via: 'none' | 'session' | 'header' | 'embed';
  /** The users-file generation of the user when the session or embed was made (none: not a users-file user). */
  readonly generation?: string | undefined;
}

/** The key proxies and results are cached under: the same user with another context is another key. */
export function principalKey(p: Principal): string {
  return JSON.stringify([p.user, p.role, p.context]);
}
