#!/usr/bin/env node
// Runs the built CLI (dist/, made by scripts/build.mjs: `prepare`, and npm test's bootstrap) when it
// is at least as new as every source it was built from; otherwise the TypeScript sources under
// tsx, so an edit is never shadowed by a stale build. Module authors' .ts modules load either way.
import { readFileSync, statSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);

function builtIsCurrent() {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(new URL('inputs.json', dist), 'utf8'));
    return inputs.every((file) => statSync(file).mtimeMs <= builtAt);
  } catch {
    return false; // not built, or a source was removed
  }
}

if (process.env.INSIGHTS_CLI_FROM_SOURCE !== '1' && builtIsCurrent()) {
  await import(new URL('main.js', dist).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  globalThis[Symbol.for('insights.cli.tsx-registered')] = true;
  await import('../src/main.ts');
}
