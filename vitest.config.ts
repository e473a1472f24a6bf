import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each file gets its own database (PGlite in memory, or its own PostgreSQL database), so files run in parallel.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
