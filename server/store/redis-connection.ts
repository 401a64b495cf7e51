/**
 * A Redis connection's outages, logged once each (not at every reconnect attempt): while it is
 * down, requests that need it answer 503 (see storeIo); ioredis reconnects by itself.
 */
import type Redis from 'ioredis'

export function watchRedisConnection(client: Redis, name: string): void {
  let down = false
  client.on('error', (error: NodeJS.ErrnoException) => {
    if (down) return
    down = true
    console.error(
      `[oauth3] redis (${name}): connection lost (${error.code ?? 'error'}); answering 503 until it is back`,
    )
  })
  client.on('ready', () => {
    if (!down) return
    down = false
    console.error(`[oauth3] redis (${name}): connection back`)
  })
}
