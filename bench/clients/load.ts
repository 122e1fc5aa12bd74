/**
 * A benchmark client process: warm-up, then several timed runs of one target, printing one JSON
 * line of results. `throughput`: `concurrency` calls always in flight; `latency`: one at a time.
 */
import { parseArgs } from 'node:util';
import { percentile } from '../stats.ts';
import { makeCaller, type Call } from './callers.ts';

const { values: o } = parseArgs({
  options: {
    target: { type: 'string' },
    address: { type: 'string' },
    payload: { type: 'string', default: 'small' },
    mode: { type: 'string', default: 'throughput' },
    concurrency: { type: 'string', default: '64' },
    duration: { type: 'string', default: '3000' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1000' },
  },
});

/** Calls answered in all (warm-up included), so a caller can divide CPU time by calls. */
let answered = 0;

async function throughput(call: Call, concurrency: number, ms: number): Promise<number> {
  let done = 0;
  const stop = Date.now() + ms;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < stop) {
        await call();
        done++;
      }
    }),
  );
  answered += done;
  return done / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function latency(call: Call, ms: number): Promise<{ p50: number; p99: number; n: number }> {
  const samples: number[] = [];
  const stop = Date.now() + ms;
  while (Date.now() < stop) {
    const t = process.hrtime.bigint();
    await call();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  answered += samples.length;
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length };
}

const caller = await makeCaller(o.target!, o.address!, o.payload!);
const duration = Number(o.duration);
const runs = Number(o.runs);
if (o.mode === 'latency') {
  await latency(caller.call, Number(o.warmup));
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await latency(caller.call, duration));
  process.stdout.write(`${JSON.stringify({ latency: results, calls: answered })}\n`);
} else {
  await throughput(caller.call, Number(o.concurrency), Number(o.warmup));
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await throughput(caller.call, Number(o.concurrency), duration));
  process.stdout.write(`${JSON.stringify({ throughput: results, calls: answered })}\n`);
}
await caller.close();
process.exit(0);
