/** `Db` over the official driver: one MongoDB database per module. */
import type { Collection, Db, Document } from '@insights/sdk';
import type { Db as DriverDb } from 'mongodb';
import { MongoCollectionAdapter } from './mongo-collection.ts';
import { mongoCall } from './mongo-errors.ts';
import { checkCollectionName } from './names.ts';

export class MongoDbAdapter implements Db {
  readonly databaseName: string;
  readonly #db: DriverDb;

  constructor(db: DriverDb) {
    this.#db = db;
    this.databaseName = db.databaseName;
  }

  collection<T extends Document = Document>(name: string): Collection<T> {
    checkCollectionName(name);
    return new MongoCollectionAdapter<T>(this.#db.collection(name), `${this.databaseName}.${name}`);
  }

  async listCollections(): Promise<string[]> {
    const infos = await mongoCall('admin', this.databaseName, () => this.#db.listCollections({}, { nameOnly: true }).toArray());
    return infos
      .map((i) => i.name)
      .filter((n) => !n.startsWith('system.'))
      .sort();
  }

  async dropCollection(name: string): Promise<boolean> {
    checkCollectionName(name);
    const ns = `${this.databaseName}.${name}`;
    // Servers >= 7 report success for a missing collection; ask first so the answer is honest.
    const found = await mongoCall('admin', ns, () => this.#db.listCollections({ name }, { nameOnly: true }).toArray());
    if (found.length === 0) return false;
    return mongoCall('admin', ns, () => this.#db.dropCollection(name));
  }
}
