import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Authenticator, SESSION_COOKIE } from './auth.ts';
import { DEFAULT_EMBED_TTL_SECONDS, DEFAULT_MAX_EMBED_TTL_SECONDS, parseDashboardConfig } from './config.ts';
import { EmbedSigner } from './embed.ts';
import { hashPassword } from './passwords.ts';
import { generateMeshKeys } from '@insights/policy';

/** Issue 14: a user removed from the users file kept a working session, and their embed URLs kept working. */
describe('revocation - sessions and embed URLs follow the users file on every use', () => {
  let dir: string;
  let usersFile: string;
  let auth: Authenticator;
  const keys = generateMeshKeys();
  const embeds = new EmbedSigner(keys.privateKeyPem);

  const writeUsers = async (users: Record<string, unknown>) => {
    await writeFile(usersFile, JSON.stringify(users));
    // The file is re-read at most once a second, when its modification time moves.
    await new Promise((r) => setTimeout(r, 1100));
  };
  const identify = (sessionId: string) =>
    auth.identify({ headers: {}, peer: '127.0.0.1', cookies: { [SESSION_COOKIE]: sessionId } });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-revocation-'));
    usersFile = path.join(dir, 'users.json');
    const password = await hashPassword('first password');
    await writeFile(
      usersFile,
      JSON.stringify({
        prof: { password, role: 'instructor', context: { course: 'C1' } },
        ada: { password, role: 'admin' },
      }),
    );
    auth = new Authenticator(
      parseDashboardConfig({
        mesh: { nodes: ['127.0.0.1:1'] },
        auth: { kind: 'users', usersFile },
        roles: { admin: { policy: { default: 'allow' } }, instructor: { policy: { default: 'allow' } } },
      }),
    );
  });
  afterEach(async () => {
    auth.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('removing a user ends their session and revokes their embed URLs', async () => {
    const s = (await auth.login('prof', 'first password'))!;
    expect(identify(s.sessionId)?.user).toBe('prof');
    const grant = embeds.verify(embeds.mint('examples.plot_grades', { course: 'C1' }, s.principal, 600));
    expect(() => auth.checkEmbed(grant.principal)).not.toThrow();
    const password = await hashPassword('first password');
    await writeUsers({ ada: { password, role: 'admin' } });
    expect(identify(s.sessionId)).toBeUndefined();
    expect(() => auth.checkEmbed(grant.principal)).toThrow(/revoked/);
  });

  it('a password, role or context change ends sessions and embeds made before it; other users keep theirs', async () => {
    const prof = (await auth.login('prof', 'first password'))!;
    const ada = (await auth.login('ada', 'first password'))!;
    const adaGrant = embeds.verify(embeds.mint('examples.plot_grades', {}, ada.principal, 600)).principal;
    const password = await hashPassword('first password');
    const adaRecord = { password: JSON.parse(await readFile(usersFile, 'utf8')).ada.password as string, role: 'admin' };
    await writeUsers({ prof: { password, role: 'instructor', context: { course: 'C1' } }, ada: adaRecord });
    expect(identify(prof.sessionId)).toBeUndefined(); // a new password hash
    expect(identify(ada.sessionId)?.user).toBe('ada'); // unchanged
    expect(() => auth.checkEmbed(adaGrant)).not.toThrow();
    const again = (await auth.login('prof', 'first password'))!;
    await writeUsers({ prof: { password, role: 'instructor', context: { course: 'C2' } }, ada: adaRecord });
    expect(identify(again.sessionId)).toBeUndefined(); // another course
    await writeUsers({
      prof: { password, role: 'instructor', context: { course: 'C2' } },
      ada: { ...adaRecord, role: 'instructor' },
    });
    expect(identify(ada.sessionId)).toBeUndefined(); // another role
    expect(() => auth.checkEmbed(adaGrant)).toThrow(/revoked/);
  }, 20_000);

  it('embed URLs of a role (no user) still work; the default embed lifetime is an hour, the maximum a week', async () => {
    expect(DEFAULT_EMBED_TTL_SECONDS).toBe(3600);
    expect(DEFAULT_MAX_EMBED_TTL_SECONDS).toBe(7 * 24 * 3600);
    const grant = embeds.verify(
      embeds.mint(
        'examples.plot_grades',
        {},
        { user: 'role:admin', name: 'admin', role: 'admin', context: {}, via: 'embed' },
        60,
      ),
    );
    expect(() => auth.checkEmbed(grant.principal)).not.toThrow();
  });
});
