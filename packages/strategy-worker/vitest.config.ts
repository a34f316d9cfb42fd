import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // property tests run hundreds of cases; on a loaded 2-core CI box the default 5 s is too tight
    testTimeout: 30_000,
  },
});
