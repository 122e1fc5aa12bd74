import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'modules/*/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: integration suites start real servers and processes; keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
