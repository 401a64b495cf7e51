/**
 * Redis connections: a probe at startup, whose failure names its cause (refused, unknown host,
 * wrong password) instead of a retry counter; and each outage logged once (not at every reconnect
 * attempt): while it is down, requests that need it answer 503 (see storeIo); ioredis reconnects
 * by itself.
 */
import Redis from 'ioredis'
import { useLogger } from '../telemetry/logger'

const PROBE_TIMEOUT_MS = 5_000

/** Connect once, without retrying, and ping: rejects with the connection's own error. */
export async function probeRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    commandTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  })
  // The socket's own error (ECONNREFUSED, ENOTFOUND, …) says more than connect()'s rejection.
  let cause: Error | undefined
  client.on('error', (error: Error) => (cause ??= error))
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    throw cause ?? error
  } finally {
    client.disconnect()
  }
}

export function watchRedisConnection(client: Redis, name: string): void {
  let down = false
  client.on('error', (error: NodeJS.ErrnoException) => {
    if (down) return
    down = true
    useLogger().error(
      { redis: name, cause: error.code ?? 'error' },
      `redis (${name}): connection lost; answering 503 until it is back`,
    )
  })
  client.on('ready', () => {
    if (!down) return
    down = false
    useLogger().warn({ redis: name }, `redis (${name}): connection back`)
  })
}
