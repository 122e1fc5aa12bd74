/**
 * The conformance suite on a real MongoDB server, when `MONGODB_URL` is set (for example
 * `MONGODB_URL=mongodb://127.0.0.1:27017`). Each test gets its own database, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { describeDbConformance } from './conformance.ts';
import { createDbProvider } from './index.ts';

const url = process.env['MONGODB_URL'];
const SKIP_REASON = 'MONGODB_URL is not set, so there is no MongoDB server to test against';

if (url === undefined || url === '') {
  // Printed so the skip is visible in the default reporter too, not only in verbose output.
  console.info(`db conformance - mongodb: skipped, ${SKIP_REASON}`);
  describe.skipIf(true)(`db conformance - mongodb (skipped: ${SKIP_REASON})`, () => {
    it(`skipped: ${SKIP_REASON}`, () => undefined);
  });
} else {
  describeDbConformance('mongodb', async () => {
    const provider = createDbProvider({
      kind: 'mongodb',
      url,
      dbPrefix: `insights_test_${randomBytes(4).toString('hex')}_`,
      clientOptions: { serverSelectionTimeoutMS: 5000 },
    });
    const db = await provider.forModule('conformance');
    return {
      db,
      async close() {
        for (const name of await db.listCollections()) await db.dropCollection(name);
        await provider.close();
      },
    };
  });
}
