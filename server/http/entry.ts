/**
 * The server's entry (Nitro's node-server preset, with our own start): the app is started by its
 * plugin (settings checked, store opened, startup recovery run), and only then does the API
 * listen — so "Listening" means ready. Any failure to start is one line naming the setting and
 * its cause, and exit code 1: a taken port, a host that is not this machine's, a store that
 * cannot be opened.
 */
import '#nitro-internal-pollyfills'
import { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeListener } from 'h3'
import { useNitroApp } from 'nitropack/runtime'
import { setupGracefulShutdown } from 'nitropack/runtime/internal/shutdown'
import { startedApp, type App } from '../app'
import { describeDurability } from '../store/redis-durability'
import { describeListenError, readListenAddress, type ListenAddress } from '../settings/listen'
import { flushLogs, logFatalAndExit, useLogger } from '../telemetry/logger'
import { serveMetrics } from '../telemetry/metrics-server'

const SIGNALS = ['SIGTERM', 'SIGINT'] as const

// Stopped before it listens: nothing to drain yet.
const stopWhileStarting = (signal: string) => {
  useLogger().info({ signal }, 'stopped while starting')
  process.exit(0)
}
for (const signal of SIGNALS) process.once(signal, stopWhileStarting)

const nitroApp = useNitroApp()
trapUnhandledErrors()
// Nitro's build targets ES2019 (no top-level await): the start is one async function.
start().catch((error: Error) => logFatalAndExit(`could not start: ${error.message}`))

async function start() {
  const listen = readListenAddress(process.env)
  if (listen.problem !== undefined) logFatalAndExit(`Invalid settings: ${listen.problem}`)
  const app = await startedApp()
  const server = new Server(toNodeListener(nitroApp.h3App))
  const where = await listenOn(server, listen.address).catch((error: NodeJS.ErrnoException) =>
    logFatalAndExit(`could not start: ${describeListenError(error, listen.address)}`),
  )
  for (const signal of SIGNALS) process.removeListener(signal, stopWhileStarting)
  setupGracefulShutdown(server, nitroApp)
  if (app.settings.metricsPort !== null) await serveMetrics(app)
  announce(app, where)
  flushLogs()
}

function listenOn(server: Server, address: ListenAddress): Promise<string | AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(address, () => {
      server.removeListener('error', reject)
      resolve(server.address()!)
    })
  })
}

/** The last startup line: tests and scripts wait for it. */
function announce(app: App, where: string | AddressInfo) {
  const { settings, environment } = app
  const url =
    typeof where === 'string'
      ? `unix:${where}`
      : `http://${where.family === 'IPv6' ? `[${where.address}]` : where.address}:${where.port}`
  const publicUrl =
    settings.publicUrl ?? `http://localhost:${typeof where === 'string' ? 3000 : where.port}`
  const store =
    app.store.kind === 'redis'
      ? `redis (prefix ${settings.redisPrefix}; ${describeDurability(app.store.durability!)})`
      : `embedded (${app.store.engine}, ${settings.dataDir})`
  useLogger().info(
    {
      url,
      ...(typeof where === 'string' ? {} : { port: where.port }),
      public_url: publicUrl,
      store: app.store.kind,
      sandbox: settings.sandboxPoolSize,
      tee: environment.tee,
    },
    `Listening on ${url}; public URL: ${publicUrl}; store: ${store}; sandbox: ${settings.sandboxPoolSize} processes; tee: ${environment.tee}`,
  )
}

/** A bug's error, logged with its stack for the operator; the server keeps serving. */
function trapUnhandledErrors() {
  for (const kind of ['unhandledRejection', 'uncaughtException'] as const) {
    process.on(kind, (error: unknown) => {
      useLogger().error({ err: (error as Error)?.stack ?? String(error) }, kind)
    })
  }
}
