import path from 'node:path';
import fc from 'fast-check';
import { ERROR_CODES } from '@insights/sdk';
import { expect } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { tempDir } from '../support/tmp.ts';
import { rssOf, type Answer } from './raw-node.ts';

/**
 * Runs per target: brief in `npm test`, as many as asked with FUZZ_RUNS (e.g. FUZZ_RUNS=100000).
 * A failure prints fast-check's seed and path; FUZZ_SEED (and FUZZ_PATH) replay it.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** Long runs need long test timeouts: about 50 ms a run is plenty on a busy machine. */
export const fuzzTimeoutMs = (runsPerCase = FUZZ_RUNS): number => 60_000 + runsPerCase * 50;

export function fuzzParameters(): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  const fuzzPath = process.env.FUZZ_PATH;
  return {
    numRuns: FUZZ_RUNS,
    endOnFailure: true,
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(fuzzPath === undefined ? {} : { path: fuzzPath }),
  };
}

/** A refusal carries a mesh code, and never INTERNAL: bad input is the caller's fault, said so. */
export function expectCoded(a: Answer, context: string): void {
  if (a.ok) return;
  expect(Object.keys(ERROR_CODES), `${context}: ${a.message}`).toContain(a.code);
  expect(a.code, `${context}: ${a.message}`).not.toBe('INTERNAL');
}

/** A real node process for a fuzz target, with its RSS at start to bound memory growth. */
export interface FuzzNode {
  readonly node: NodeProcess;
  /** Alive and answering its health probe. */
  expectHealthy(): Promise<void>;
  /** RSS grew by less than `bytes` since start (generous: the fuzzing is not about GC timing). */
  expectMemoryBounded(bytes?: number): void;
  stop(): Promise<void>;
}

export async function startFuzzNode(args: string[]): Promise<FuzzNode> {
  const tmp = await tempDir('insights-fuzz-');
  const node = await spawnNode(['--isolation', 'inline', '--data-dir', path.join(tmp.dir, 'data'), ...args]);
  const startRss = rssOf(node.proc.pid!);
  return {
    node,
    async expectHealthy() {
      expect(node.proc.exitCode, node.stderr()).toBeNull();
      expect((await fetch(`http://${node.ready.http}/healthz`)).status).toBe(200);
    },
    expectMemoryBounded(bytes = 300 * 1024 * 1024) {
      const grew = rssOf(node.proc.pid!) - startRss;
      expect(grew, `RSS grew by ${Math.round(grew / 1024 / 1024)} MB`).toBeLessThan(bytes);
    },
    async stop() {
      await node.stop();
      await tmp.remove();
    },
  };
}

/** Mutations of valid bytes: flips, insertions, deletions and truncation, as a fuzzer of file formats would. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Buffer> {
  const edit = fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
  );
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 8 })).map(([bytes, edits]) => {
    let b = [...bytes];
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % (b.length + 1);
      if (e.op === 'flip' && at < b.length) b[at] = e.byte;
      else if (e.op === 'insert') b.splice(at, 0, e.byte);
      else if (e.op === 'delete') b.splice(at, 1);
      else if (e.op === 'truncate') b = b.slice(0, at);
    }
    return Buffer.from(b);
  });
}

/** JSON text an attacker might send: valid documents, deep nesting, near-JSON and random bytes. */
export const hostileJson: fc.Arbitrary<Buffer> = fc.oneof(
  fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s)),
  fc.integer({ min: 1, max: 5000 }).map((d) => Buffer.from(`${'['.repeat(d)}${']'.repeat(d)}`)),
  fc.integer({ min: 1, max: 5000 }).map((d) => Buffer.from(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  mutated(fc.constantFrom('{"course":"c1","learner":"l"}', '{"course":"c","bins":5}').map((s) => Buffer.from(s))),
);
