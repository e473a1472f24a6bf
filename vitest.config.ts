import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // *.pg-test.ts need a PostgreSQL server of their own to disturb: they run in the PostgreSQL pass only.
    include: ['test/**/*.test.ts', ...(process.env.TEST_DATABASE_URL ? ['test/**/*.pg-test.ts'] : [])],
    globalSetup: ['test/support/global-setup.ts'],
    // Each file gets its own database (PGlite in memory, or its own PostgreSQL database), so files run in parallel.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
