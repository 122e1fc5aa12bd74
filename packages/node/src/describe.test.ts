import type { ModuleHost } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { describeNode } from './describe.ts';

const host = (isolation: ModuleHost['isolation']): ModuleHost =>
  ({
    isolation,
    manifest: { name: isolation, version: '1', description: '', analytics: [] },
    status: () => ({ state: 'ready', lastError: '', restarts: 0, memoryBytes: 0, inFlight: 0, calls: 0, errors: 0 }),
  }) as unknown as ModuleHost;

describe('describe - modules', () => {
  it('describe - says worker and inline modules are trusted (they run in the node, unsandboxed), process ones are not', () => {
    const node = { id: 'n', labels: [], version: '1', grpcAddress: '', httpAddress: '', state: 'serving', sandbox: 'kernel' };
    const hosts = new Map(['process', 'worker', 'inline'].map((i) => [i, host(i as ModuleHost['isolation'])]));
    const d = describeNode(node, hosts, [{ spec: 'x', name: 'x', error: 'failed' }]);
    expect(d.modules.map((m) => [m.name, m.trusted])).toEqual([
      ['process', false],
      ['worker', true],
      ['inline', true],
      ['x', false],
    ]);
  });
});
