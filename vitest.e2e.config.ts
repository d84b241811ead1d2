import { defineConfig } from 'vitest/config';

// The boot suite: one VM at a time (2 cores, software emulation), generous limits.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
