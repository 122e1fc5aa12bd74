/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function, largest first,
 * as % of all samples and as µs per call when `--calls N` (calls served during the profile) is given.
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [--calls N] [--top 30]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { calls: { type: 'string' }, top: { type: 'string', default: '30' } },
});
const file = positionals[0];
if (file === undefined) throw new Error('usage: profile-summary.ts FILE.cpuprofile [--calls N] [--top 30]');
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));

// Folded by function and file: the same function reached from many stacks is one row.
const rows = new Map<string, number>();
let total = 0;
for (const [id, us] of selfUs) {
  const f = byId.get(id)!.callFrame;
  const where = f.url === '' ? '' : ` ${shortUrl(f.url)}:${f.lineNumber + 1}`;
  const key = `${f.functionName || '(anonymous)'}${where}`;
  rows.set(key, (rows.get(key) ?? 0) + us);
  total += us;
}
const calls = o.calls === undefined ? undefined : Number(o.calls);
const sorted = [...rows].sort((a, b) => b[1] - a[1]).slice(0, Number(o.top));
process.stdout.write(`${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled\n`);
process.stdout.write(`| function | self % | ${calls === undefined ? 'self ms' : 'µs/call'} |\n| --- | --- | --- |\n`);
for (const [key, us] of sorted) {
  const per = calls === undefined ? (us / 1000).toFixed(1) : (us / calls).toFixed(2);
  process.stdout.write(`| ${key} | ${((100 * us) / total).toFixed(1)} | ${per} |\n`);
}

function shortUrl(url: string): string {
  const m = /\/(packages|node_modules)\/(.*)$/.exec(url);
  if (m === null) return url.replace(/^node:/, '');
  const rest = m[2]!.replace(/^\.pnpm\/[^/]+\/node_modules\//, '');
  return rest;
}
