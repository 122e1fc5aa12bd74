import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type Mesh } from '@insights/client';
import type { InsightsError } from '@insights/sdk';
import type { SandboxHost } from '@insights/sandbox';
import { afterAll, beforeAll, expect } from 'vitest';
import { spawnNode, type NodeProcess } from '../support/cli-process.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { REPO_ROOT, tempDir } from '../support/tmp.ts';

export const hostile = (name: string): string => path.join(REPO_ROOT, 'test', 'fixtures', 'hostile', name);

/** Restart quickly, call a crash loop after 3 crashes, forgive after 1.5 s up: tests stay short. */
export const FAST_RESTART = { initialBackoffMs: 50, maxBackoffMs: 400, crashLoopAfter: 3, stableAfterMs: 1500 };

/** Where the measured latencies are appended (one JSON line per scenario), besides the test log. */
export const LATENCY_LOG = path.join(tmpdir(), 'insights-sandbox-latency.jsonl');

export function sandboxHost(node: TestNode, module: string): SandboxHost {
  const host = node.dispatcher.host(module);
  if (host === undefined) throw new Error(`no module ${module}`);
  return host as SandboxHost;
}

/** Calls a query through the node's dispatcher (the host enforces the deadline, not a client). */
export async function query(
  node: TestNode,
  name: string,
  args: Record<string, unknown> = {},
  timeoutMs = 5000,
): Promise<unknown> {
  const outcome = await node.dispatcher.call({ kind: 'query', name, args, deadline: Date.now() + timeoutMs });
  return outcome.type === 'json' ? outcome.value : outcome;
}

/** The InsightsError a promise rejects with (fails the test if it resolves). */
export async function failure(p: Promise<unknown>): Promise<InsightsError> {
  return p.then(
    (v) => {
      throw new Error(`expected a failure, got ${JSON.stringify(v)?.slice(0, 200)}`);
    },
    (e: InsightsError) => e,
  );
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `during` while calling good.ping over gRPC every 20 ms, and reports the latencies. The
 * well-behaved module must answer every probe; the numbers are reported, not asserted.
 */
export async function whileProbingGood<T>(mesh: Mesh, scenario: string, during: () => Promise<T>): Promise<T> {
  const ms: number[] = [];
  const errors: string[] = [];
  let stop = false;
  const probe = (async () => {
    while (!stop) {
      const t = performance.now();
      try {
        expect(await mesh.query['good.ping']!({}, { timeoutMs: 5000 })).toBe('pong');
        ms.push(performance.now() - t);
      } catch (e) {
        errors.push((e as Error).message);
      }
      await sleep(20);
    }
  })();
  try {
    return await during();
  } finally {
    stop = true;
    await probe;
    const sorted = [...ms].sort((a, b) => a - b);
    const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN) * 10) / 10;
    const line = { scenario, probes: ms.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: at(1), errors: errors.length };
    console.log(`[good-module latency] ${JSON.stringify(line)}`);
    appendFileSync(LATENCY_LOG, `${JSON.stringify(line)}\n`);
    expect(errors, `good.ping failed during ${scenario}`).toEqual([]);
    expect(ms.length).toBeGreaterThan(0);
  }
}

/**
 * For a describe block: a node with the `good` module beside one hostile fixture (restarted
 * quickly when it crashes), and a mesh client to it; started before the block's tests, stopped after.
 */
export function nodeWithHostile(fixture: string): { readonly node: TestNode; readonly mesh: Mesh } {
  const held: { node?: TestNode; mesh?: Mesh } = {};
  beforeAll(async () => {
    held.node = await startTestNode({ modules: [hostile('good'), { path: hostile(fixture), restart: FAST_RESTART }] });
    held.mesh = await connect({ nodes: [held.node.grpcAddress] });
  }, 60_000);
  afterAll(async () => {
    await held.mesh?.close();
    await held.node?.stop();
  });
  return {
    get node() {
      return held.node!;
    },
    get mesh() {
      return held.mesh!;
    },
  };
}

/**
 * For a describe block: an `insights node` process (the CLI, with `env` added to its environment)
 * with the `good` module beside one hostile fixture, and a mesh client to it.
 */
export function spawnedNodeWithHostile(
  fixture: string,
  env: NodeJS.ProcessEnv = {},
): { readonly node: NodeProcess; readonly mesh: Mesh } {
  const held: { node?: NodeProcess; mesh?: Mesh; tmp?: Awaited<ReturnType<typeof tempDir>> } = {};
  beforeAll(async () => {
    held.tmp = await tempDir();
    held.node = await spawnNode(['--data-dir', held.tmp.dir, '--module', hostile('good'), '--module', hostile(fixture)], env);
    held.mesh = await connect({ nodes: [held.node.ready.grpc] });
  }, 60_000);
  afterAll(async () => {
    await held.mesh?.close();
    await held.node?.stop();
    await held.tmp?.remove();
  });
  return {
    get node() {
      return held.node!;
    },
    get mesh() {
      return held.mesh!;
    },
  };
}
