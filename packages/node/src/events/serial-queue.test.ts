import { describe, expect, it } from 'vitest';
import { SerialQueue } from './serial-queue.ts';

describe('SerialQueue', () => {
  it('runs steps in the order queued, whatever order their inputs are ready in, past failures', async () => {
    const q = new SerialQueue();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstInput = new Promise<void>((r) => (releaseFirst = r));
    const a = q.run(async () => {
      await firstInput;
      order.push('a');
    });
    const b = q.run(() => Promise.reject(new Error('b failed')));
    const c = q.run(async () => {
      order.push('c');
    });
    releaseFirst();
    await a;
    await expect(b).rejects.toThrow('b failed');
    await c;
    expect(order).toEqual(['a', 'c']);
  });
});
