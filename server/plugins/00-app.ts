/**
 * Startup: check the settings, configure the logger, open the store, the notifier and the key
 * provider, mark the executions a stop interrupted (startApp). A bad setting or a store that
 * cannot be opened stops the process with one line naming the setting, instead of serving half a
 * server. The entry (server/http/entry.ts) listens once this is done. Shutdown: at SIGTERM or SIGINT,
 * before Nitro waits for open connections to drain, open long-polls are answered and queued
 * executions failed (`beginShutdown`); Nitro's `close` hook then waits for running ones and closes
 * the store.
 */
import { defineNitroPlugin, useRuntimeConfig } from 'nitropack/runtime'
import { startApp } from '../app'
import { resolveSettings, type Settings } from '../settings/resolve'
import { configureLogger, flushLogs, logFatalAndExit, useLogger } from '../telemetry/logger'

export default defineNitroPlugin((nitro) => {
  let settings: Settings
  try {
    settings = resolveSettings(useRuntimeConfig() as unknown as Record<string, unknown>)
  } catch (error) {
    logFatalAndExit((error as Error).message)
  }
  const log = configureLogger({
    format: settings.logFormat,
    level: settings.logLevel,
    instance: settings.nodeId,
  })
  const ready = startApp(settings).then(
    (app) => {
      for (const [from, to] of Object.entries(settings.upstreamMap)) {
        log.warn({ from, to }, `NITRO_UPSTREAM_MAP: ${from} -> ${to} (tests and demos only)`)
      }
      if (settings.trustedProxies.cidrs.length) {
        log.info(
          { trusted_proxies: settings.trustedProxies.cidrs },
          `X-Forwarded-For is believed from ${settings.trustedProxies.cidrs.join(', ')}`,
        )
      }
      const { environment } = app
      const { walls } = app.pool
      log.info(
        { guest_walls: walls },
        `guests: SES${walls.permissionModel ? ', Node permission model (reads only their folder; no processes, workers, addons)' : ''}${walls.setpriv ? ', no new privileges, killed with the server' : ''}${walls.separateUser ? ', user nobody' : ''}; network egress not blocked`,
      )
      log.info(
        { tee: environment.tee, keys: environment.keys.kind },
        `tee: ${environment.tee} (${environment.reason}); keys: ${environment.keys.kind}`,
      )
      return app
    },
    (error) => logFatalAndExit(`could not start: ${(error as Error).message}`),
  )
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () =>
      ready.then((app) => {
        useLogger().info({ signal }, 'stopping: taking no new work; running executions finish')
        app.beginShutdown()
      }),
    )
  }
  nitro.hooks.hook('close', async () => {
    await (await ready).close()
    useLogger().info('stopped')
    flushLogs()
  })
})
