/**
 * The bubblewrap command line of one kernel sandbox, as a pure function of what the sandbox may
 * see. Paths appear inside at the same place as outside, so the init message, stack traces and
 * the permission model's grants need no translation.
 */

export interface BwrapMounts {
  /** Files and folders shown read-only: the Node binary, its libraries, the bundles and what they import. */
  readonly readOnly: readonly string[];
  /**
   * Symlinks recreated inside, path → target as stored (a package manager's links between
   * packages, for the bundler's module resolution); those under a shown folder are already there.
   */
  readonly links?: ReadonlyMap<string, string>;
  /** Folders hidden under an empty tmpfs where a shown folder contains them (the node's data folder inside a module's). */
  readonly hidden?: readonly string[];
  /** Folders shown read-write: the module's own data folders (read-only while over its disk quota). */
  readonly writable: readonly string[];
  /** Show `writable` read-only instead (the data folder is over its quota). */
  readonly writableReadOnly: boolean;
  /** Size of the private /tmp, bytes. */
  readonly tmpBytes: number;
  /** Working folder inside. */
  readonly cwd: string;
  /** The only environment variables inside (the channel's among them). */
  readonly env: Readonly<Record<string, string>>;
  /** Run as uid/gid 65534 in a user namespace of its own (false where user namespaces are refused). */
  readonly userNamespace: boolean;
}

/** The unprivileged "nobody" user and group a sandbox runs as inside its user namespace. */
export const SANDBOX_UID = 65534;

/** Arguments for `bwrap`, followed by `command` (the program and its arguments, run inside). */
export function bwrapArgs(m: BwrapMounts, command: readonly string[], seccompFd?: number): string[] {
  const args = [
    // Namespaces: its own pids (a fresh /proc shows only its processes), no network but a
    // loopback, its own IPC, hostname and cgroup view.
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(m.userNamespace
      ? ['--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID), '--disable-userns']
      : []),
    '--die-with-parent',
    // A new session: no controlling terminal to push input into (TIOCSTI).
    '--new-session',
    '--cap-drop',
    'ALL',
    '--clearenv',
    ...Object.entries(m.env).flatMap(([k, v]) => ['--setenv', k, v]),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // /tmp first: binds below it (test folders live in /tmp) must land on top of it, not under it.
    '--perms',
    '1777',
    '--size',
    String(m.tmpBytes),
    '--tmpfs',
    '/tmp',
    ...outermost(m.readOnly).flatMap((p) => ['--ro-bind', p, p]),
    ...[...(m.links ?? [])]
      .filter(([p]) => ![...m.readOnly, ...m.writable].some((k) => p.startsWith(`${k}/`)))
      .flatMap(([p, target]) => ['--symlink', target, p]),
    ...hide(m),
    ...unique(m.writable).flatMap((p) => [m.writableReadOnly ? '--ro-bind' : '--bind', p, p]),
    // Everything else is bwrap's root tmpfs: read-only, so nothing can be written outside /tmp
    // and the module's folders.
    '--remount-ro',
    '/',
    '--chdir',
    m.cwd,
    // A seccomp filter (read from this inherited descriptor), applied to the command only.
    ...(seccompFd === undefined ? [] : ['--seccomp', String(seccompFd)]),
    '--',
    ...command,
  ];
  return args;
}

/**
 * Empty tmpfs over hidden folders inside shown ones, then the shown paths that lie inside them
 * again (the bundler's own bundle sits in the node's data folder).
 */
function hide(m: BwrapMounts): string[] {
  const hidden = (m.hidden ?? []).filter((h) => m.readOnly.some((r) => h.startsWith(`${r}/`)));
  const inside = m.readOnly.filter((p) => hidden.some((h) => p === h || p.startsWith(`${h}/`)));
  return [...hidden.flatMap((h) => ['--tmpfs', h]), ...unique(inside).flatMap((p) => ['--ro-bind', p, p])];
}

function unique(paths: readonly string[]): string[] {
  return [...new Set(paths)];
}

/**
 * The paths not inside another one of them, parents first. A path under a bound folder is
 * already visible there; binding it again would ask bwrap to create a mount point inside a
 * read-only mount (which fails for symlinked files such as /lib64/ld-linux-x86-64.so.2).
 */
function outermost(paths: readonly string[]): string[] {
  const sorted = unique(paths).sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const p of sorted) if (!kept.some((k) => k === '/' || p.startsWith(`${k}/`))) kept.push(p);
  return kept;
}
