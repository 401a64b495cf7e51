import { copyFileSync, cpSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineNitroConfig } from 'nitropack/config'

// Every operator setting, with its safe default; NITRO_<UPPER_SNAKE> overrides each at runtime.
// They are checked at startup by server/plugins/00-app.ts (server/utils/settings.ts).
export default defineNitroConfig({
  compatibilityDate: '2025-01-01',
  srcDir: 'server',
  preset: 'node-server',
  errorHandler: '~/error',
  imports: false,
  runtimeConfig: {
    publicUrl: '', // NITRO_PUBLIC_URL
    dataDir: './.data', // NITRO_DATA_DIR
    dataFsync: false, // NITRO_DATA_FSYNC
    redisUrl: '', // NITRO_REDIS_URL
    redisPrefix: 'oauth3', // NITRO_REDIS_PREFIX
    keyFile: '', // NITRO_KEY_FILE (default <dataDir>/vault.key)
    upstreamMap: '', // NITRO_UPSTREAM_MAP
    allowHttpEndpoints: false, // NITRO_ALLOW_HTTP_ENDPOINTS
    approvalTtlSeconds: 604800, // NITRO_APPROVAL_TTL_SECONDS
    signupsPerMinute: 30, // NITRO_SIGNUPS_PER_MINUTE (per client address)
    nodeId: '', // NITRO_NODE_ID (default: host name + data dir hash)
    // The sandbox and the gateway; empty means the default in server/utils/limits.ts.
    sandboxPoolSize: '', // NITRO_SANDBOX_POOL_SIZE
    execPerTenant: '', // NITRO_EXEC_PER_TENANT
    execQueueMax: '', // NITRO_EXEC_QUEUE_MAX
    execTimeoutMs: '', // NITRO_EXEC_TIMEOUT_MS
    execMemoryMb: '', // NITRO_EXEC_MEMORY_MB
    execOutputBytes: '', // NITRO_EXEC_OUTPUT_BYTES
    execMaxCalls: '', // NITRO_EXEC_MAX_CALLS
    execMaxCallsInFlight: '', // NITRO_EXEC_MAX_CALLS_IN_FLIGHT
    execResultBytes: '', // NITRO_EXEC_RESULT_BYTES
    gatewayTimeoutMs: '', // NITRO_GATEWAY_TIMEOUT_MS
    gatewayMaxResponseBytes: '', // NITRO_GATEWAY_MAX_RESPONSE_BYTES
    gatewayMaxRequestBytes: '', // NITRO_GATEWAY_MAX_REQUEST_BYTES
  },
  hooks: {
    // The guest entry stays a plain .mjs file next to the server entry (bundling it breaks it);
    // `ses` is traced into .output so the guest can import it.
    compiled(nitro) {
      const target = nitro.options.dev
        ? nitro.options.buildDir + '/dev'
        : nitro.options.output.serverDir
      mkdirSync(target, { recursive: true })
      copyFileSync(
        fileURLToPath(new URL('./runtime/guest.mjs', import.meta.url)),
        `${target}/guest.mjs`,
      )
      // The bundled registry skills, loaded (and validated) at startup.
      cpSync(fileURLToPath(new URL('./skills', import.meta.url)), `${target}/skills`, {
        recursive: true,
      })
    },
  },
  // The ESM entry of ses (what the guest's `import 'ses'` loads), traced with its dependencies.
  externals: {
    traceInclude: [
      join(dirname(createRequire(import.meta.url).resolve('ses/package.json')), 'index.js'),
    ],
  },
  experimental: { openAPI: false },
})
