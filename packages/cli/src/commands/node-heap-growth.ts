import v8 from 'node:v8';

/**
 * How far above what survived its last full collection V8 lets the node's heap grow before the
 * next one (V8 picks 1.1x to 4x by allocation rate when unset). An ingesting node allocates fast
 * and most of it dies young (parsed chunks, normalised envelopes, stored messages read back for
 * each handler), so V8 chose a large factor and the heap floated ~100 MB above its live data
 * (BENCHMARKS.md section 8). A soft bound, unlike `--max-old-space-size`: a node whose live data
 * grows still gets the room, it only collects more often.
 */
export const NODE_HEAP_GROWING_PERCENT = 20;

/** True when the operator chose the heap's growth (a V8 flag on the command line or in NODE_OPTIONS): theirs stands. */
export function heapGrowthChosen(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a));
}

/**
 * Bounds the heap's growth of this process (`insights node` only: a program embedding the node
 * keeps its own GC settings). V8 reads this flag at each collection, so setting it after start
 * takes effect (unlike the heap's size limits, fixed when the isolate is made).
 */
export function boundNodeHeapGrowth(): void {
  if (heapGrowthChosen(process.execArgv, process.env['NODE_OPTIONS'])) return;
  v8.setFlagsFromString(`--heap-growing-percent=${NODE_HEAP_GROWING_PERCENT}`);
}
