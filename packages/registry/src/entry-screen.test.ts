import { describe, expect, it } from 'vitest';
import { MAX_ENTRY_BYTES, screenRegistryEntry } from './entry-screen.ts';
import { RegistryView } from './registry-view.ts';

describe('registry - entries screened before parsing', () => {
  it('passes a plain entry', () => {
    expect(screenRegistryEntry('node.a-1', 'a-1', '{"v":1,"modules":[{"analytics":[{"params":{"x":{}}}]}]}')).toBeUndefined();
  });

  it('refuses a key that names no node, an entry too large and one nested too deep, saying which', () => {
    expect(screenRegistryEntry('node.a.b', 'a.b', '{}')).toEqual({
      reason: expect.stringMatching(/does not name a node id/),
      refusal: 'key',
    });
    expect(screenRegistryEntry('node.a', 'a', `"${'x'.repeat(MAX_ENTRY_BYTES)}"`)).toEqual({
      reason: expect.stringMatching(/MAX_ENTRY_BYTES/),
      refusal: 'limits',
    });
    expect(screenRegistryEntry('node.a', 'a', '['.repeat(100_000))).toEqual({
      reason: expect.stringMatching(/nested deeper than 32 .*MAX_ENTRY_DEPTH/),
      refusal: 'limits',
    });
  });
});

describe('registry - a view fed hostile entries', () => {
  it('reports each as invalid, with a bounded label for metrics, and keeps serving the good ones', () => {
    const invalid: string[] = [];
    const labels: string[] = [];
    const view = new RegistryView((key, reason, refusal) => {
      invalid.push(`${key}: ${reason}`);
      labels.push(refusal);
    });
    const entry = (key: string, text: string) => ({ key, operation: 'PUT', created: new Date(), string: () => text });
    const ad = {
      v: 1,
      ttlMs: 5000,
      updatedAt: new Date().toISOString(),
      id: 'good',
      grpcAddress: '127.0.0.1:1',
      state: 'serving',
    };
    for (const [key, text] of [
      ['node.evil', 'null'],
      ['node.evil', '[]'],
      ['node.evil', '"x"'],
      ['node.evil', '['.repeat(50_000)],
      ['node.evil', JSON.stringify({ ...ad, id: 5 })],
      ['alive.evil', '{"v":1,"ttlMs":"soon"}'],
      ['node.bad key', '{}'],
      ['node.good', JSON.stringify(ad)],
      ['alive.good', JSON.stringify({ v: 1, ttlMs: 5000, state: 'serving', seq: 1 })],
    ] as const)
      view.applyLive(entry(key, text));
    expect(invalid).toHaveLength(7);
    expect(labels).toEqual(['schema', 'schema', 'schema', 'limits', 'schema', 'schema', 'key']);
    expect(view.nodes().map((n) => n.id)).toEqual(['good']);
  });
});
