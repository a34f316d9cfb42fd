import { defineConfig } from 'vitest/config';

// Cross-package tests: real sockets against the in-process simulator, worker threads.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
