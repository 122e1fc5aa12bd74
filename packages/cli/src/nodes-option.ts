import { InsightsError } from '@insights/sdk';

/** Node addresses from `--node` flags or INSIGHTS_NODES (comma-separated), in that order of preference. */
export function nodeAddresses(flag: readonly string[] | undefined): string[] {
  const fromFlag = (flag ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (fromFlag.length > 0) return fromFlag;
  const fromEnv = (process.env.INSIGHTS_NODES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (fromEnv.length > 0) return fromEnv;
  throw new InsightsError(
    'INVALID_ARGUMENT',
    'no node to talk to: pass --node host:port (the gRPC address `insights node` printed) or set INSIGHTS_NODES',
    { parameter: 'node' },
  );
}
