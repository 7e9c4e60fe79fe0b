import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript source (the "@gatehouse/source"
// export condition), so a change is tested without a rebuild. Processes that tests spawn
// (gateway, slackbot, CLIs) run the built dist/ instead, which `pnpm test` builds first.
const sourceConditions = ['@gatehouse/source', 'import', 'node', 'default'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@gatehouse/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Fails the run when a suite leaves keys under a test prefix in the shared Redis (BullMQ's too).
    globalSetup: ['packages/testkit/src/redis/leak-guard.ts'],
    reporters: ['default'],
  },
});
