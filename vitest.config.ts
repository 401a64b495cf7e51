import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { routeIndexModule } from './server/http/route-files.ts'

const ROUTE_INDEX = '#oauth3/route-index'

export default defineConfig({
  // The route index module, generated from server/routes exactly as the build does (nitro.config.ts).
  plugins: [
    {
      name: 'oauth3-route-index',
      resolveId: (id) => (id === ROUTE_INDEX ? `\0${ROUTE_INDEX}` : null),
      load: (id) =>
        id === `\0${ROUTE_INDEX}`
          ? routeIndexModule(fileURLToPath(new URL('./server/routes', import.meta.url)))
          : null,
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/build.ts'],
    // Hang detectors, not speed bounds: a loaded 2-core machine runs everything several times
    // slower. A long-poll's own 120 s timeout is twice a test's, so a poll that is not woken
    // fails its test.
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // Each file starts its own server processes; two at a time suits a 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
    // A JSON report too: .ci/run prints its totals as one plain line.
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
})
