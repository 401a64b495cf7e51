/**
 * Startup: check the settings, open the store, the notifier and the key provider. A bad setting
 * or an unreachable store stops the process with a clear message instead of serving half a server.
 */
import { defineNitroPlugin, useRuntimeConfig } from 'nitropack/runtime'
import { startApp } from '../app'
import { failInterruptedExecutions } from '../executions/recover'
import { resolveSettings, type Settings } from '../settings/resolve'

export default defineNitroPlugin((nitro) => {
  let settings: Settings
  try {
    settings = resolveSettings(useRuntimeConfig() as unknown as Record<string, unknown>)
  } catch (error) {
    console.error(`[oauth3] ${(error as Error).message}`)
    process.exit(1)
  }
  const ready = startApp(settings).then(
    async (app) => {
      const interrupted = await failInterruptedExecutions(app)
      if (interrupted)
        console.log(
          `[oauth3] ${interrupted} execution(s) interrupted by the last stop were marked failed`,
        )
      for (const [from, to] of Object.entries(settings.upstreamMap))
        console.log(`[oauth3] NITRO_UPSTREAM_MAP: ${from} -> ${to} (tests and demos only)`)
      // The last startup line: tests and scripts wait for it.
      const store =
        app.store.kind === 'redis'
          ? `redis (prefix ${settings.redisPrefix})`
          : `embedded (${settings.dataDir})`
      console.log(
        `[oauth3] store: ${store}; sandbox: ${settings.sandboxPoolSize} processes; public URL: ${settings.publicUrl ?? 'http://localhost:<port>'}; tee: none`,
      )
      return app
    },
    (error) => {
      console.error(`[oauth3] could not start: ${(error as Error).message}`)
      process.exit(1)
    },
  )
  nitro.hooks.hook('close', async () => {
    await (await ready).close()
  })
})
