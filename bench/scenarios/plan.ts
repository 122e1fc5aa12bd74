/** How long and how often each measurement runs: full (`npm run bench`) or smoke (CI). */
export interface Plan {
  readonly smoke: boolean;
  readonly durationMs: number;
  readonly runs: number;
  readonly warmupMs: number;
}

export const FULL: Plan = { smoke: false, durationMs: 3000, runs: 5, warmupMs: 1500 };
export const SMOKE: Plan = { smoke: true, durationMs: 300, runs: 1, warmupMs: 100 };

/** One measured figure with its spread. */
export interface Row {
  scenario: string;
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number[];
  note?: string;
}

/** The default configuration's rows (no isolation option; report.ts reads the headline targets from them). */
export const DEFAULT_ROW = 'insights (default: process sandbox)';
/**
 * The default configuration as deployed: the same node joined to NATS, so it advertises in the
 * registry and publishes every call's audit record to JetStream (fsync always), on the bench's
 * nats-server (which Moleculer uses too). The headline rows run the node alone.
 */
export const DEPLOYED_ROW = 'insights (default, with NATS: registry and audit trail)';
