import { applyDecision, decide, type PolicyLayer } from '@insights/policy';
import type { AuthorityTarget, CallAuthority, Logger } from '@insights/runtime';
import type { CallOutcome } from '@insights/wire';
import type { Pseudonyms } from './pseudonyms.ts';

/**
 * The authority of a verified capability chain: a caller's capability, a node's or module's
 * own, or both (then both must allow: deny wins, every lock applies). Calls made on it carry the
 * same tokens to other nodes, which check them again.
 */
export class CapabilityAuthority implements CallAuthority {
  readonly #and = new WeakMap<CapabilityAuthority, CapabilityAuthority>();

  constructor(
    readonly layers: readonly PolicyLayer[],
    /** The verified tokens, space-separated: what other nodes are shown. */
    readonly capability: string,
    /** Who: capability subjects and ids, for logs and the audit. */
    readonly label: string,
    private readonly log: Logger,
    /** Set when a layer's policy pseudonymises: results shown with pseudonyms, pseudonyms accepted as arguments. */
    readonly pseudonyms?: Pseudonyms,
    /**
     * The certified mesh node that passed every token of the chain on (delegated it to this
     * node): the chain of a nested call that node forwards. Undefined for anyone else's.
     */
    readonly forwardedBy?: string,
  ) {}

  present(outcome: CallOutcome, analytic: string, learnerFields: readonly string[]): CallOutcome {
    return this.pseudonyms === undefined ? outcome : this.pseudonyms.result(outcome, analytic, learnerFields);
  }

  authorize(target: AuthorityTarget, args: Record<string, unknown>): Record<string, unknown> {
    const analytic = `${target.module}.${target.name}`;
    const decision = decide(this.layers, target);
    if (!decision.allowed) this.log.info('call denied', { analytic, authority: this.label, reason: decision.reason });
    const checked = applyDecision(decision, args, analytic);
    this.log.debug('call authorized', { analytic, authority: this.label, locked: decision.allowed ? decision.locks : {} });
    return checked;
  }

  /** This authority bounded by another one too (a caller's within the node's). Made once per pair. */
  and(other: CapabilityAuthority | undefined): CapabilityAuthority {
    if (other === undefined || other === this) return this;
    let both = this.#and.get(other);
    if (both === undefined) {
      both = new CapabilityAuthority(
        [...this.layers, ...other.layers],
        `${this.capability} ${other.capability}`,
        `${this.label} within ${other.label}`,
        this.log,
      );
      this.#and.set(other, both);
    }
    return both;
  }
}
