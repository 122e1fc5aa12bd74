/**
 * Another module's database as a reader sees it (`ctx.readDb(owner)`): reads pass through to the
 * owner's own database; every write, and an aggregation that writes (`$out`, `$merge`), fails
 * with PERMISSION_DENIED naming both modules. The node hands these out only where its config
 * allows the reader (modules[].reads).
 */
import { InsightsError, type Collection, type Db, type Document } from '@insights/sdk';

const READS = new Set(['find', 'findOne', 'countDocuments', 'estimatedDocumentCount', 'distinct', 'aggregate', 'listIndexes']);
const WRITING_STAGES = ['$out', '$merge'];

export class ReadOnlyDb implements Db {
  constructor(
    private readonly db: Db,
    private readonly reader: string,
    private readonly owner: string,
  ) {}

  get databaseName(): string {
    return this.db.databaseName;
  }

  collection<T extends Document = Document>(name: string): Collection<T> {
    const target = this.db.collection<T>(name);
    const refuse = (what: string) =>
      new InsightsError(
        'PERMISSION_DENIED',
        `module "${this.reader}" may only read module "${this.owner}"'s data: ${what} refused`,
      );
    return new Proxy(target, {
      get: (t, prop, receiver) => {
        if (typeof prop !== 'string') return Reflect.get(t, prop, receiver) as unknown;
        const value = Reflect.get(t, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (!READS.has(prop)) return () => Promise.reject(refuse(`${name}.${prop}`));
        if (prop === 'aggregate')
          return (pipeline: readonly Document[]) => {
            const stage = pipeline.find((s) => WRITING_STAGES.some((w) => Object.hasOwn(s, w)));
            if (stage !== undefined) throw refuse(`${name}.aggregate with ${Object.keys(stage)[0]}`);
            return t.aggregate(pipeline);
          };
        return (value as (...a: unknown[]) => unknown).bind(t);
      },
    });
  }

  listCollections(): Promise<string[]> {
    return this.db.listCollections();
  }

  dropCollection(name: string): Promise<boolean> {
    return Promise.reject(
      new InsightsError(
        'PERMISSION_DENIED',
        `module "${this.reader}" may only read module "${this.owner}"'s data: dropping ${name} refused`,
      ),
    );
  }
}
