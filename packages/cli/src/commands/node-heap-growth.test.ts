import { describe, expect, it } from 'vitest';
import { heapGrowthChosen } from './node-heap-growth.ts';

describe('insights node - heap growth', () => {
  it("the operator's --heap-growing-percent (command line or NODE_OPTIONS) stands; other flags do not count", () => {
    expect(heapGrowthChosen([], undefined)).toBe(false);
    expect(heapGrowthChosen(['--max-old-space-size=512', '--import', 'tsx'], '--enable-source-maps')).toBe(false);
    expect(heapGrowthChosen(['--heap-growing-percent=50'], undefined)).toBe(true);
    expect(heapGrowthChosen([], '--max-old-space-size=512 --heap_growing_percent=10')).toBe(true);
    expect(heapGrowthChosen(['--heap-growing-percentage=5'], '')).toBe(false);
  });
});
