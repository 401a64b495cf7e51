/**
 * The process-wide application context: settings, store, notifier, key provider. Built once by
 * the startup plugin; routes reach it through `useApp()` and hand it to services explicitly.
 */
import Redis from 'ioredis'
import { createLocalKeyProvider, type KeyProvider } from './key-provider'
import { createLocalNotifier, createRedisNotifier, type Notifier } from './notifier'
import type { Settings } from './settings'
import { createEmbeddedStore, createRedisStore, type Store } from './store'

export interface App {
  settings: Settings
  store: Store
  notifier: Notifier
  keys: KeyProvider
  /** Long-polls held open per tenant in this process. */
  longPolls: Map<string, number>
  close(): Promise<void>
}

let current: Promise<App> | undefined

export async function createApp(settings: Settings): Promise<App> {
  const keys = createLocalKeyProvider(settings.keyFile)
  let store: Store
  let notifier: Notifier
  let publisher: Redis | undefined
  if (settings.redisUrl) {
    store = await createRedisStore({ url: settings.redisUrl, prefix: settings.redisPrefix })
    publisher = new Redis(settings.redisUrl, { maxRetriesPerRequest: 2 })
    notifier = await createRedisNotifier(publisher, `${settings.redisPrefix}:notify`)
  } else {
    store = await createEmbeddedStore({ dir: settings.dataDir, fsync: settings.dataFsync })
    notifier = createLocalNotifier()
  }
  return {
    settings,
    store,
    notifier,
    keys,
    longPolls: new Map(),
    async close() {
      await notifier.close()
      publisher?.disconnect()
      await store.close()
    },
  }
}

export function startApp(settings: Settings): Promise<App> {
  current ??= createApp(settings)
  return current
}

export function useApp(): Promise<App> {
  if (!current) throw new Error('the app has not been started')
  return current
}
