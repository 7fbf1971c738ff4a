import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'deployments/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['src/testing/vitest/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // global.gc in every test worker: the deadline tests force collections while a deadline is pending
    execArgv: ['--expose-gc'],
  },
});
