/**
 * Startup: check the settings, open the store, the notifier and the key provider, mark the
 * executions a stop interrupted (startApp). A bad setting or an unreachable store stops the process
 * with a clear message instead of serving half a server. Shutdown: at SIGTERM or SIGINT, before
 * Nitro waits for open connections to drain, open long-polls are answered and queued executions
 * failed (`beginShutdown`); Nitro's `close` hook then waits for running ones and closes the store.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { AddressInfo, Server } from 'node:net'
import { defineNitroPlugin, useRuntimeConfig } from 'nitropack/runtime'
import { startApp } from '../app'
import { resolveSettings, type Settings } from '../settings/resolve'

/** How long the last startup line waits to learn the listening port before it names PORT. */
const LISTEN_WAIT_MS = 2_000

export default defineNitroPlugin((nitro) => {
  let settings: Settings
  try {
    settings = resolveSettings(useRuntimeConfig() as unknown as Record<string, unknown>)
  } catch (error) {
    console.error(`[oauth3] ${(error as Error).message}`)
    process.exit(1)
  }
  const port = listeningPort()
  const ready = startApp(settings).then(
    async (app) => {
      for (const [from, to] of Object.entries(settings.upstreamMap)) {
        console.log(`[oauth3] NITRO_UPSTREAM_MAP: ${from} -> ${to} (tests and demos only)`)
      }
      const store =
        app.store.kind === 'redis'
          ? `redis (prefix ${settings.redisPrefix})`
          : `embedded (${settings.dataDir})`
      const publicUrl = settings.publicUrl ?? `http://localhost:${await port}`
      const { environment } = app
      console.log(
        `[oauth3] tee: ${environment.tee} (${environment.reason}); keys: ${environment.keys.kind}`,
      )
      // The last startup line: tests and scripts wait for it.
      console.log(
        `[oauth3] store: ${store}; sandbox: ${settings.sandboxPoolSize} processes; public URL: ${publicUrl}; tee: ${environment.tee}`,
      )
      return app
    },
    (error) => {
      console.error(`[oauth3] could not start: ${(error as Error).message}`)
      process.exit(1)
    },
  )
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void ready.then((app) => app.beginShutdown()))
  }
  nitro.hooks.hook('close', async () => {
    await (await ready).close()
  })
})

/** The port the HTTP server ends up listening on (PORT=0 picks one), once it listens. */
function listeningPort(): Promise<number | string> {
  const configured = process.env.NITRO_PORT || process.env.PORT || '3000'
  return new Promise((resolve) => {
    const channel = 'tracing:net.server.listen:asyncEnd'
    const done = (port: number | string) => {
      clearTimeout(timer)
      unsubscribe(channel, onListen)
      resolve(port)
    }
    const onListen = (message: unknown) => {
      const address = (message as { server: Server }).server.address() as
        AddressInfo | string | null
      if (address && typeof address === 'object') done(address.port)
    }
    const timer = setTimeout(() => done(configured), LISTEN_WAIT_MS)
    subscribe(channel, onListen)
  })
}
