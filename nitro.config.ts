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
  },
  experimental: { openAPI: false },
})
