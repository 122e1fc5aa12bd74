import type { EventEnvelope } from '@insights/sdk';

/** What a module's data layer made of one raw event. */
export type NormaliseOutcome =
  | { readonly type: 'ok'; readonly envelopes: readonly EventEnvelope[] }
  | { readonly type: 'error'; readonly message: string }
  /** No normaliser of this module accepts it: try the next module. */
  | { readonly type: 'unclaimed' };
