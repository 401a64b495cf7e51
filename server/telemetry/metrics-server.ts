/**
 * `GET /metrics` on a port of its own (NITRO_METRICS_PORT, on NITRO_METRICS_HOST: loopback by
 * default), never on the API's: the public origin does not show operators' figures, and a scraper
 * needs no token. Off unless the port is set.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { App } from '../app'
import { readBuildInfo } from '../attestation/build-info'
import { logFatalAndExit, useLogger } from './logger'
import { metricsRegistry, watchAppMetrics } from './metrics'

export async function serveMetrics(app: App): Promise<void> {
  const build = readBuildInfo()
  watchAppMetrics({
    guests() {
      const stats = app.pool.stats()
      return {
        busy: stats.busy,
        idle: stats.ready,
        starting: stats.processes - stats.busy - stats.ready,
        queued: stats.queued,
      }
    },
    held: () => app.longPolls.heldByKind(),
    build: {
      version: build.version ?? 'unknown',
      commit: build.commit ?? 'unknown',
      build_digest: build.build_digest ?? 'unknown',
      tee: app.environment.tee,
    },
  })
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    metricsRegistry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      () => response.writeHead(500).end(),
    )
  })
  const { metricsHost: host, metricsPort: port } = app.settings
  await new Promise<void>((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      logFatalAndExit(
        `could not start: NITRO_METRICS_PORT ${port} on ${host}: cannot listen (${error.code ?? error.message})`,
      ),
    )
    server.listen({ port: port!, host }, resolve)
  })
  // It holds no work open: the process may exit while it listens.
  server.unref()
  const address = server.address() as AddressInfo
  const where = `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
  useLogger().info({ metrics_url: `http://${where}/metrics` }, `metrics on http://${where}/metrics`)
}
