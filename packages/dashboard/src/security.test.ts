import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateMeshKeys } from '@insights/policy';
import { describe, expect, it } from 'vitest';
import { Authenticator } from './auth.ts';
import { parseDashboardConfig } from './config.ts';
import { EmbedSigner } from './embed.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Principal } from './principal.ts';

const prof: Principal = { user: 'prof', name: 'Prof', role: 'instructor', context: { course: 'C1' }, via: 'session' };

describe('dashboard - passwords', () => {
  it('hashes with scrypt and verifies; wrong or malformed hashes fail', async () => {
    const h = await hashPassword('s3cret');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('s3cret', h)).toBe(true);
    expect(await verifyPassword('S3cret', h)).toBe(false);
    expect(await verifyPassword('s3cret', 'scrypt$x$8$1$a$b')).toBe(false);
    expect(await verifyPassword('s3cret', 'plain')).toBe(false);
  });
});

describe('dashboard - embed tokens', () => {
  const signer = new EmbedSigner(generateMeshKeys().privateKeyPem);

  it('round-trips the view, arguments and principal', () => {
    const g = signer.verify(signer.mint('m.v', { size: 2 }, prof, 60));
    expect(g).toMatchObject({
      analytic: 'm.v',
      args: { size: 2 },
      principal: { user: 'prof', role: 'instructor', context: { course: 'C1' }, via: 'embed' },
    });
  });

  it('refuses altered, foreign, expired and garbage tokens', () => {
    const [body, mac] = signer.mint('m.v', { size: 2 }, prof, 60).split('.') as [string, string];
    const other = Buffer.from(Buffer.from(body, 'base64url').toString().replace('C1', 'C2')).toString('base64url');
    expect(() => signer.verify(`${other}.${mac}`)).toThrow(/invalid signature/);
    expect(() => new EmbedSigner(generateMeshKeys().privateKeyPem).verify(`${body}.${mac}`)).toThrow(/invalid signature/);
    expect(() => signer.verify(signer.mint('m.v', {}, prof, 60, Date.now() - 120_000))).toThrow(/expired/);
    expect(() => signer.verify('nonsense')).toThrow(/malformed/);
  });
});

describe('dashboard - authentication', () => {
  it('users file: a session for the right password, a lockout after repeated wrong ones', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'insights-auth-'));
    try {
      await writeFile(
        path.join(dir, 'users.json'),
        JSON.stringify({ prof: { password: await hashPassword('pw'), role: 'viewer', context: { course: 'C1' } } }),
      );
      const config = parseDashboardConfig(
        {
          mesh: { nats: 'nats://x' },
          auth: { kind: 'users', usersFile: 'users.json' },
          roles: { viewer: { policy: { default: 'allow' } } },
        },
        dir,
      );
      const auth = new Authenticator(config);
      const ok = await auth.login('prof', 'pw');
      expect(ok?.principal).toMatchObject({ user: 'prof', role: 'viewer', context: { course: 'C1' }, via: 'session' });
      expect(auth.identify({ headers: {}, peer: '127.0.0.1', cookies: { insights_session: ok!.sessionId } })?.user).toBe('prof');
      expect(auth.identify({ headers: {}, peer: '127.0.0.1', cookies: { insights_session: 'forged' } })).toBeUndefined();
      expect(await auth.login('nobody', 'pw')).toBeUndefined();
      for (let i = 0; i < 5; i++) expect(await auth.login('prof', 'wrong')).toBeUndefined();
      await expect(auth.login('prof', 'pw')).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
      auth.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('single sign-on header: believed only from trusted proxies; unknown users get the default role or nothing', () => {
    const roles = { viewer: { policy: { default: 'allow' as const } } };
    const auth = new Authenticator(
      parseDashboardConfig({
        mesh: { nats: 'nats://x' },
        auth: { kind: 'header', userHeader: 'X-Remote-User', defaultRole: 'viewer' },
        roles,
      }),
    );
    expect(auth.identify({ headers: { 'x-remote-user': 'grace' }, peer: '127.0.0.1', cookies: {} })).toMatchObject({
      user: 'grace',
      role: 'viewer',
      via: 'header',
    });
    expect(() => auth.identify({ headers: { 'x-remote-user': 'grace' }, peer: '10.0.0.9', cookies: {} })).toThrow(/not trusted/);
    expect(() => auth.identify({ headers: {}, peer: '127.0.0.1', cookies: {} })).toThrow(/did not name a user/);
    const strict = new Authenticator(parseDashboardConfig({ mesh: { nats: 'nats://x' }, auth: { kind: 'header' }, roles }));
    expect(() => strict.identify({ headers: { 'x-forwarded-user': 'eve' }, peer: '::1', cookies: {} })).toThrow(/has no role/);
    auth.close();
    strict.close();
  });
});
