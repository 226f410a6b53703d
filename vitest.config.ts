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
    // Real components (dockerd, LiteLLM) are shared machine-wide: files one at a time when run by hand. `npm test`
    // runs two at a time, and the Docker-killing ones apart: scripts/test-suites.sh.
    fileParallelism: false,
  },
});
