/**
 * Another module's database as a reader sees it (`ctx.readDb(owner)`): reads of the granted
 * collections pass through to the owner's own database; every write, an aggregation that writes
 * (`$out`, `$merge`), and any other collection (also through `$lookup`, `$graphLookup` or
 * `$unionWith`) fails with PERMISSION_DENIED naming both modules. The node hands these out only
 * where the reader declares the read and its config allows it (see the node's read-grants.ts).
 */
import { foreignCollections } from '@insights/db/internal';
import { InsightsError, type Collection, type Db, type Document } from '@insights/sdk';

const READS = new Set(['find', 'findOne', 'countDocuments', 'estimatedDocumentCount', 'distinct', 'aggregate', 'listIndexes']);
const WRITING_STAGES = ['$out', '$merge'];

export class ReadOnlyDb implements Db {
  constructor(
    private readonly db: Db,
    private readonly reader: string,
    private readonly owner: string,
    /** The owner's collections the reader may read. */
    private readonly collections: ReadonlySet<string>,
    /** The config that grants reads, for the refusal message (the owner node's own for reads through the mesh). */
    private readonly grantedBy = 'modules[].reads',
  ) {}

  get databaseName(): string {
    return this.db.databaseName;
  }

  #refuse(what: string): InsightsError {
    return new InsightsError(
      'PERMISSION_DENIED',
      `module "${this.reader}" may only read module "${this.owner}"'s data: ${what} refused`,
    );
  }

  #ungranted(name: string): InsightsError {
    return new InsightsError(
      'PERMISSION_DENIED',
      `module "${this.reader}" may read only ${[...this.collections].map((c) => `"${c}"`).join(', ') || 'no collections'} of module "${this.owner}", not "${name}" (declare it in reads and allow it in ${this.grantedBy})`,
    );
  }

  collection<T extends Document = Document>(name: string): Collection<T> {
    if (!this.collections.has(name)) {
      const error = this.#ungranted(name);
      return new Proxy({} as Collection<T>, {
        get: (_t, prop) =>
          prop === 'then'
            ? undefined
            : prop === 'find' || prop === 'aggregate'
              ? () => {
                  throw error;
                }
              : () => Promise.reject(error),
      });
    }
    const target = this.db.collection<T>(name);
    const refuse = (what: string) => this.#refuse(what);
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
            for (const other of foreignCollections(pipeline)) if (!this.collections.has(other)) throw this.#ungranted(other);
            return t.aggregate(pipeline);
          };
        return (value as (...a: unknown[]) => unknown).bind(t);
      },
    });
  }

  async listCollections(): Promise<string[]> {
    return (await this.db.listCollections()).filter((c) => this.collections.has(c));
  }

  dropCollection(name: string): Promise<boolean> {
    return Promise.reject(this.#refuse(`dropping ${name}`));
  }
}
