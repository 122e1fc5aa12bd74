import { describe, expect, it } from 'vitest';
import { bwrapArgs, SANDBOX_UID } from './bwrap.ts';

const base = {
  readOnly: ['/repo/node_modules', '/usr/bin/node', '/repo/node_modules/.pnpm/zod'],
  writable: ['/data/modules/m', '/data/db/m'],
  writableReadOnly: false,
  tmpBytes: 1024,
  cwd: '/data/modules/m',
  env: { NODE_CHANNEL_FD: '3' },
  userNamespace: true,
};

/** Pairs `flag value` of an argument list, in order. */
const pairs = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

describe('sandbox - bwrap arguments', () => {
  it('bwrap - every namespace, no capabilities, an empty environment but the channel, dies with the node', () => {
    const args = bwrapArgs(base, ['/usr/bin/node', 'x.mjs']);
    for (const flag of [
      '--unshare-pid',
      '--unshare-net',
      '--unshare-ipc',
      '--unshare-user',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      '--disable-userns',
    ])
      expect(args).toContain(flag);
    expect(pairs(args, '--cap-drop')).toEqual(['ALL']);
    expect(pairs(args, '--uid')).toEqual([String(SANDBOX_UID)]);
    expect(args.slice(args.indexOf('--setenv'), args.indexOf('--setenv') + 3)).toEqual(['--setenv', 'NODE_CHANNEL_FD', '3']);
    expect(args.slice(-3)).toEqual(['--', '/usr/bin/node', 'x.mjs']);
  });

  it('bwrap - /tmp before the binds, only outermost read-only paths, module folders writable, the rest read-only', () => {
    const args = bwrapArgs(base, ['node']);
    expect(args.indexOf('--tmpfs')).toBeLessThan(args.indexOf('--ro-bind'));
    expect(args[args.indexOf('--tmpfs') - 1]).toBe('1024');
    // What a bound folder already shows is not bound again.
    expect(pairs(args, '--ro-bind')).toEqual(['/usr/bin/node', '/repo/node_modules']);
    expect(pairs(args, '--bind')).toEqual(['/data/modules/m', '/data/db/m']);
    expect(pairs(args, '--remount-ro')).toEqual(['/']);
    expect(pairs(args, '--chdir')).toEqual(['/data/modules/m']);
  });

  it('bwrap - over its quota the module folders are read-only; without user namespaces no uid switch', () => {
    const args = bwrapArgs({ ...base, writableReadOnly: true, userNamespace: false }, ['node']);
    expect(pairs(args, '--bind')).toEqual([]);
    expect(pairs(args, '--ro-bind')).toContain('/data/db/m');
    expect(args).not.toContain('--unshare-user');
    expect(args).not.toContain('--uid');
  });
});
