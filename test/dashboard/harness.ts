import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateMeshKeys, type MeshKeyPair, type Policy } from '@insights/client';
import { hashPassword, parseDashboardConfig, startDashboard, type RunningDashboard } from '@insights/dashboard';
import { startNatsServer, type NatsServer } from '../support/nats.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { FIXTURE_MODULES, SHIPPED_MODULES, tempDir } from '../support/tmp.ts';

export const COURSES_MODULE = path.join(import.meta.dirname, 'fixtures', 'courses');

/** What an instructor may do: no admin or slow analytics, course locked to their own. */
export const INSTRUCTOR: Policy = {
  default: 'allow',
  rules: [
    { match: ['*admin_*', 'slow.*'], effect: 'deny' },
    { match: ['echo.course_*', 'courses.item_*', 'courses.roster'], lock: { course: 'course' } },
  ],
};

export const PASSWORD = 'correct horse battery staple';

export interface Mesh {
  readonly nats: NatsServer;
  readonly keys: MeshKeyPair;
  /** examples, echo and courses. */
  readonly main: TestNode;
  /** slow (started by the test that watches it join). */
  slow?: TestNode;
  readonly dashboard: RunningDashboard;
  startSlowNode(): Promise<TestNode>;
  close(): Promise<void>;
}

/**
 * A real mesh for the browser tests: NATS, a node that requires capabilities, and a dashboard
 * with admin and instructor users in a users file.
 */
export async function startMesh(): Promise<Mesh> {
  const nats = await startNatsServer();
  const keys = generateMeshKeys();
  const tmp = await tempDir('insights-dashboard-');
  const nodeConfig = (id: string, modules: string[]) => ({
    id,
    labels: [id],
    defaultIsolation: 'inline' as const,
    nats: nats.as('node'),
    capabilities: { trustedKeys: [keys.publicKeyPem], required: true },
    ingest: { tokens: ['ingest-token-for-tests-0001'] }, // required capabilities need ingest tokens
    modules,
  });
  const main = await startTestNode(
    nodeConfig('lms', [path.join(SHIPPED_MODULES, 'examples'), path.join(FIXTURE_MODULES, 'echo'), COURSES_MODULE]),
  );
  const hash = await hashPassword(PASSWORD);
  const usersFile = path.join(tmp.dir, 'users.json');
  await writeFile(
    usersFile,
    JSON.stringify({
      ada: { password: hash, role: 'admin', name: 'Ada (admin)' },
      prof: { password: hash, role: 'instructor', context: { course: 'C1' }, name: 'Prof. Lovelace' },
    }),
  );
  const config = parseDashboardConfig({
    port: 0,
    mesh: { nats: nats.as('client') },
    signingKey: keys.privateKeyPem,
    auth: { kind: 'users', usersFile },
    roles: { admin: { policy: { default: 'allow' } }, instructor: { policy: INSTRUCTOR } },
    embed: { frameAncestors: ['http://lms.example'] },
    audit: { roles: ['admin'] },
  });
  const dashboard = await startDashboard(config);
  const mesh: Mesh = {
    nats,
    keys,
    main,
    dashboard,
    async startSlowNode() {
      mesh.slow = await startTestNode(nodeConfig('forums', [path.join(FIXTURE_MODULES, 'slow')]));
      return mesh.slow;
    },
    async close() {
      await dashboard.close();
      await Promise.all([main.stop(), mesh.slow?.stop()]);
      await nats.stop();
      await tmp.remove();
    },
  };
  return mesh;
}
