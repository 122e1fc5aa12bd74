#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx registers an ESM loader, so there is no build step
// to forget and module authors' .ts files load the same way.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
