import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts its own nats-server on loopback (about 50 ms); lease tests wait for the
    // server's real expiry of a 1 s key (NATS' smallest max age granularity used here).
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
