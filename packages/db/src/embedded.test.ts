/** The conformance suite on the embedded engine (always runs). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeDbConformance } from './conformance.ts';
import { createDbProvider } from './index.ts';

describeDbConformance('embedded', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'insights-db-'));
  const provider = createDbProvider({ kind: 'embedded', dir });
  const db = await provider.forModule('conformance');
  return {
    db,
    async close() {
      await provider.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
