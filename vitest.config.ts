import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Integration tests start real processes (LiteLLM, dockerd, the agent); give them room,
    // but a hung test must still fail rather than stall CI.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Real components (dockerd, LiteLLM) are shared machine-wide: run files one at a time.
    fileParallelism: false,
  },
});
