import { describe, expect, it } from 'vitest';
import { MAX_ENTRY_BYTES, screenRegistryEntry } from './entry-screen.ts';
import { RegistryView } from './registry-view.ts';

describe('registry - entries screened before parsing', () => {
  it('passes a plain entry', () => {
    expect(screenRegistryEntry('node.a-1', 'a-1', '{"v":1,"modules":[{"analytics":[{"params":{"x":{}}}]}]}')).toBeUndefined();
  });

  it('refuses a key that names no node, an entry too large and one nested too deep, saying which', () => {
    expect(screenRegistryEntry('node.a.b', 'a.b', '{}')).toMatch(/does not name a node id/);
    expect(screenRegistryEntry('node.a', 'a', `"${'x'.repeat(MAX_ENTRY_BYTES)}"`)).toMatch(/MAX_ENTRY_BYTES/);
    expect(screenRegistryEntry('node.a', 'a', '['.repeat(100_000))).toMatch(/nested deeper than 32 .*MAX_ENTRY_DEPTH/);
  });
});

describe('registry - a view fed hostile entries', () => {
  it('reports each as invalid and keeps serving the good ones', () => {
    const invalid: string[] = [];
    const view = new RegistryView((key, reason) => invalid.push(`${key}: ${reason}`));
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
    expect(view.nodes().map((n) => n.id)).toEqual(['good']);
  });
});
