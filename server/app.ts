/**
 * The process-wide application context: settings, store, notifier, key provider. Built once by
 * the startup plugin; routes reach it through `useApp()` and hand it to services explicitly.
 */
import Redis from 'ioredis'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { LIMITS } from '../core/limits'
import { createGuestPool, type GuestPool } from '../runtime/pool'
import { createInflight, type Inflight } from './executions/inflight'
import { createLongPolls, type LongPolls } from './executions/long-polls'
import type { Settings } from './settings/resolve'
import { loadBundledSkills, type BundledSkills } from './skills/bundled'
import { createEmbeddedStore, createRedisStore, type Store } from './store'
import { createLocalNotifier, createRedisNotifier, type Notifier } from './store/notifier'
import { openEnvironment, type Environment } from './attestation/environment'
import { createLiveFeeds, type LiveFeeds } from './executions/live'
import type { KeyProvider } from './vault/keys'

export interface App {
  settings: Settings
  store: Store
  notifier: Notifier
  keys: KeyProvider
  /** Where this server runs (tdx, simulated, none), and the dstack guest agent if any. */
  environment: Environment
  pool: GuestPool
  bundledSkills: BundledSkills
  /** Executions between acceptance and their stored result; shutdown waits for them. */
  inflight: Inflight
  /** Long-polls held open per tenant in this process. */
  longPolls: LongPolls
  /** Live output of the executions this process runs (GET /execute/:id/events). */
  live: LiveFeeds
  close(): Promise<void>
}

let current: Promise<App> | undefined

export async function createApp(settings: Settings): Promise<App> {
  const environment = await openEnvironment(settings)
  const { keys } = environment
  const bundledSkills = loadBundledSkills(resolveBesideEntry('skills'), settings.allowHttpEndpoints)
  let store: Store
  let notifier: Notifier
  let publisher: Redis | undefined
  if (settings.redisUrl) {
    store = await createRedisStore({ url: settings.redisUrl, prefix: settings.redisPrefix })
    publisher = new Redis(settings.redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 2_000 })
    notifier = await createRedisNotifier(publisher, `${settings.redisPrefix}:notify`)
  } else {
    store = await createEmbeddedStore({ dir: settings.dataDir, fsync: settings.dataFsync })
    notifier = createLocalNotifier()
  }
  const pool = createGuestPool({
    entry: resolveBesideEntry('guest.mjs', 'runtime/guest.mjs'),
    size: settings.sandboxPoolSize,
    maxQueue: settings.execQueueMax,
    perTenant: settings.execPerTenant,
    limits: {
      timeoutMs: settings.execTimeoutMs,
      memoryMb: settings.execMemoryMb,
      outputBytes: settings.execOutputBytes,
      maxCalls: settings.execMaxCalls,
      maxCallsInFlight: settings.execMaxCallsInFlight,
      resultBytes: settings.execResultBytes,
      callArgsBytes: settings.gatewayMaxRequestBytes,
    },
    log: (line) => console.error(line),
  })
  await pool.whenReady()
  const inflight = createInflight()
  return {
    settings,
    store,
    notifier,
    keys,
    environment,
    pool,
    bundledSkills,
    inflight,
    longPolls: createLongPolls(LIMITS.LONG_POLLS_PER_TENANT_MAX),
    live: createLiveFeeds(),
    async close() {
      // Running executions get a grace period; each then stores its result before the store closes.
      await pool.close()
      await inflight.settled()
      await notifier.close()
      publisher?.disconnect()
      await store.close()
    },
  }
}

/**
 * Files the build copies next to the server entry (the guest entry, the bundled skills); in a
 * source checkout (`nitro dev`) they are found in the project folder instead.
 */
export function resolveBesideEntry(name: string, sourcePath = name): string {
  const candidates = [
    join(dirname(process.argv[1] ?? ''), name),
    resolve(process.cwd(), sourcePath),
  ]
  const found = candidates.find((candidate) => existsSync(candidate))
  if (!found) throw new Error(`${name} is missing (looked in ${candidates.join(', ')})`)
  return found
}

export function startApp(settings: Settings): Promise<App> {
  current ??= createApp(settings)
  return current
}

export function useApp(): Promise<App> {
  if (!current) throw new Error('the app has not been started')
  return current
}
