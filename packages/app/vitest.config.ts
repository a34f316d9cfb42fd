import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Browser tests launch Chromium (about a second each); nothing here sleeps.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
