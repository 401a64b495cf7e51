import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/build.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own server processes; two at a time suits a 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
    // Under CI also write a JSON report; .ci/run prints its totals as one plain line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.test-results/vitest.json' },
  },
})
