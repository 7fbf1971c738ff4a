import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'deployments/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['src/testing/vitest/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
