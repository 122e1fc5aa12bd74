/**
 * Which other modules' collections each module may read (ctx.readDb): what the module declares it
 * reads (defineModule({ reads })) and its operator allows (modules[].reads), both. The node
 * decides; a sandboxed module only ever gets a read-only database limited to these collections.
 */
import { InsightsError } from '@insights/sdk';

/** One entry of modules[].reads: a whole module, or some of its collections. */
export type ReadAllowance = string | { module: string; collections?: string[] | undefined };

export class ReadGrants {
  /** reader -> owner -> collections the operator allows (undefined: whatever the reader declares). */
  readonly #allowed = new Map<string, Map<string, ReadonlySet<string> | undefined>>();

  allow(reader: string, allowances: readonly ReadAllowance[]): void {
    const byOwner = new Map<string, ReadonlySet<string> | undefined>();
    for (const a of allowances) {
      if (typeof a === 'string') byOwner.set(a, undefined);
      else byOwner.set(a.module, a.collections === undefined ? undefined : new Set(a.collections));
    }
    this.#allowed.set(reader, byOwner);
  }

  forget(reader: string): void {
    this.#allowed.delete(reader);
  }

  /** The collections `reader` may read of `owner`'s data, or a PERMISSION_DENIED saying what is missing. */
  collections(reader: string, owner: string, declared: Readonly<Record<string, readonly string[]>>): ReadonlySet<string> {
    const byOwner = this.#allowed.get(reader);
    if (byOwner === undefined || !byOwner.has(owner))
      throw new InsightsError(
        'PERMISSION_DENIED',
        `module "${reader}" may not read module "${owner}"'s data: the node's config must allow it (modules[].reads)`,
      );
    const wanted = declared[owner];
    if (wanted === undefined)
      throw new InsightsError(
        'PERMISSION_DENIED',
        `module "${reader}" does not declare that it reads module "${owner}"'s data: add reads: { '${owner}': [collections] } to its defineModule`,
      );
    const allowed = byOwner.get(owner);
    return new Set(allowed === undefined ? wanted : wanted.filter((c) => allowed.has(c)));
  }
}
