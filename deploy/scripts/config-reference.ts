// Writes deploy/CONFIG.md from the node's config schema: `npx tsx deploy/scripts/config-reference.ts`.
// test/ops/config.test.ts fails when the file is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigReference } from '@insights/node';

const out = path.join(import.meta.dirname, '..', 'CONFIG.md');
writeFileSync(out, renderConfigReference());
process.stdout.write(`wrote ${out}\n`);
