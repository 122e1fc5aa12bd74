import { randomBytes } from 'node:crypto';
import { ferretDbBinary, startFerretDb } from '@insights/db/ferretdb';

const GIVEN_URL = process.env['MONGODB_URL'] || undefined;

/** Replica suites need a MongoDB: `MONGODB_URL`'s, else a FerretDB (`npm test` builds it into .tools/bin). */
export const NO_MONGODB = GIVEN_URL === undefined && ferretDbBinary() === undefined;
if (NO_MONGODB) console.warn('neither MONGODB_URL nor a FerretDB binary: replicated MongoDB tests are skipped');

export interface SharedMongo {
  readonly url: string;
  /** A prefix of this run's own: a real MongoDB given by URL may hold other runs' databases. */
  readonly dbPrefix: string;
  /** The `db` entry of a node config that shares this database. */
  readonly nodeDb: { kind: 'mongodb'; url: string; dbPrefix: string };
  stop(): Promise<void>;
}

/** One MongoDB for the replicas of a test to share; stop() ends the FerretDB it started. */
export async function startSharedMongo(): Promise<SharedMongo> {
  const dbPrefix = `insights_t${randomBytes(3).toString('hex')}_`;
  const ferret = GIVEN_URL === undefined ? await startFerretDb() : undefined;
  const url = GIVEN_URL ?? ferret!.url;
  return { url, dbPrefix, nodeDb: { kind: 'mongodb', url, dbPrefix }, stop: async () => ferret?.stop() };
}
