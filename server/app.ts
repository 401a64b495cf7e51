/**
 * The process-wide application context: settings, store, notifier, key provider, sandbox pool.
 * Built once by the startup plugin, then recovered (executions of dead instances marked failed)
 * before any request is served; routes reach it through `useApp()` and hand it to services
 * explicitly. Stopping is two steps: `beginShutdown` at the signal (open long-polls answered,
 * queued executions failed, running ones given the grace period) and `close` once HTTP drained.
 */
import Redis from 'ioredis'
import { fail } from '../core/errors'
import { withDeadline } from '../core/deadline'
import { clamp, LIMITS } from '../core/limits'
import { createGuestPool, type GuestPool } from '../runtime/pool'
import { createInflight, type Inflight } from './executions/inflight'
import { createLongPolls, type LongPolls } from './executions/long-polls'
import type { Settings } from './settings/resolve'
import { retentionMs } from './settings/retention'
import { resolveBesideEntry } from './settings/beside-entry'
import { loadBundledSkills, type BundledSkills } from './skills/bundled'
import { createEmbeddedStore, createRedisStore, type Store } from './store'
import { createLocalNotifier, createRedisNotifier, type Notifier } from './store/notifier'
import { instrumentStore } from './store/instrumented'
import { claimStoreIdentity, watchStoreIdentity } from './store/identity'
import { probeRedis } from './store/redis-connection'
import { printableUrl, startupStep } from './settings/startup-error'
import { useLogger } from './telemetry/logger'
import { openEnvironment, type Environment } from './attestation/environment'
import { createLiveFeeds, type LiveFeeds } from './executions/live'
import { createLeases, newInstanceId, type Leases } from './executions/leases'
import { createMarkerBatch, type MarkerBatch } from './executions/markers'
import { createRunningExecutions, type RunningExecutions } from './executions/running'
import type { KeyProvider } from './vault/keys'

export interface Lifecycle {
  /** Executions of dead instances have been marked failed: requests may be served. */
  recovered: boolean
  /** SIGTERM (or close) has begun. */
  stopping: boolean
  /** Aborted when the store is about to close: pending store retries give up. */
  closed: AbortSignal
  /** The store lost its data under this instance (its identity marker is gone or another). */
  storeLost: boolean
}

export interface App {
  settings: Settings
  /** This start of this server: its executions' running markers and its lease carry it. */
  instanceId: string
  lifecycle: Lifecycle
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
  /** The executions running in this process now, and since when. */
  running: RunningExecutions
  /** Running markers of ended executions, removed in batches. */
  markers: MarkerBatch
  readonly leases: Leases
  /** Stop taking work; answer every open long-poll now; give running executions the grace. */
  beginShutdown(): void
  close(): Promise<void>
}

/** After the pool's grace, how long stored results may take before the store closes anyway. */
const RESULTS_FLUSH_MS = 5_000
/** How long a request waits for startup recovery before it is answered 503 NOT_READY. */
const RECOVERY_WAIT_MS = 5_000
const RECOVERY_RETRY_MS = 1_000

let created: Promise<App> | undefined
let recovered: Promise<App> | undefined
let readyApp: App | undefined

export async function createApp(settings: Settings): Promise<App> {
  const log = useLogger()
  let store: Store
  let notifier: Notifier
  let publisher: Redis | undefined
  if (settings.redisUrl) {
    const redisUrl = settings.redisUrl
    store = await startupStep('NITRO_REDIS_URL', printableUrl(redisUrl), async () => {
      // A direct connection first: its failure names the cause (refused, unknown host, auth).
      await probeRedis(redisUrl)
      return createRedisStore({
        url: redisUrl,
        prefix: settings.redisPrefix,
        acceptDataLoss: settings.redisAcceptDataLoss,
      })
    })
    publisher = new Redis(redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 2_000 })
    notifier = await createRedisNotifier(publisher, `${settings.redisPrefix}:notify`)
  } else {
    store = await startupStep('NITRO_DATA_DIR', settings.dataDir, () =>
      createEmbeddedStore({
        dir: settings.dataDir,
        fsync: settings.dataFsync,
        engine: settings.storeEngine,
        // Often enough that expired history leaves memory within a small part of its retention.
        sweepEveryMs: clamp(retentionMs({ settings }) / 4, 250, 60_000),
      }),
    )
    notifier = createLocalNotifier()
  }
  store = instrumentStore(store)
  const identity = await startupStep('the store', 'identity', () => claimStoreIdentity(store))
  const environment = await openEnvironment(settings)
  const { keys } = environment
  const bundledSkills = loadBundledSkills(resolveBesideEntry('skills'), settings.allowHttpEndpoints)
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
    log: (line) => log.warn(line),
  })
  await pool.whenReady()
  const inflight = createInflight()
  const closing = new AbortController()
  const lifecycle: Lifecycle = {
    recovered: false,
    stopping: false,
    closed: closing.signal,
    storeLost: false,
  }
  const stopIdentityWatch = watchStoreIdentity(
    store,
    identity,
    (settings.leaseSeconds * 1000) / 5,
    () => {
      lifecycle.storeLost = true
      log.error(
        { store: store.kind },
        'the store lost its data: its identity marker is gone (emptied, restarted without persistence, or replaced); reporting unready',
      )
    },
  )
  let poolClosed: Promise<void> | undefined
  let leases: Leases | undefined
  const app: App = {
    settings,
    instanceId: newInstanceId(settings.nodeId),
    lifecycle,
    store,
    notifier,
    keys,
    environment,
    pool,
    bundledSkills,
    inflight,
    longPolls: createLongPolls(LIMITS.LONG_POLLS_PER_TENANT_MAX),
    live: createLiveFeeds(),
    running: createRunningExecutions(),
    markers: createMarkerBatch(store),
    // Made on first use (startup recovery): the leases act on the app itself.
    get leases() {
      return (leases ??= createLeases(app))
    },
    beginShutdown() {
      if (lifecycle.stopping) return
      lifecycle.stopping = true
      notifier.interruptAll()
      poolClosed = pool.close(settings.shutdownGraceSeconds * 1000)
    },
    async close() {
      app.beginShutdown()
      // Running executions get their grace; each then stores its result before the store closes.
      await poolClosed
      await withDeadline(inflight.settled(), RESULTS_FLUSH_MS, () => undefined)
      closing.abort()
      stopIdentityWatch()
      await app.markers.flush()
      await app.leases.stop({ release: true })
      await notifier.close()
      publisher?.disconnect()
      await store.close()
    },
  }
  return app
}

/**
 * Startup recovery: renew our lease and mark failed (`interrupted`) the unfinished executions of
 * instances that are gone (with the embedded store: every earlier start). Retried while the store
 * does not answer; requests wait for it (RECOVERY_WAIT_MS, then 503).
 */
async function recover(app: App): Promise<App> {
  for (let attempt = 0; ; attempt++) {
    try {
      const interrupted = await app.leases.tick({ boot: true })
      if (interrupted) {
        useLogger().warn(
          { interrupted },
          `${interrupted} execution(s) interrupted by a stop were marked failed`,
        )
      }
      app.lifecycle.recovered = true
      readyApp = app
      return app
    } catch (error) {
      if (attempt === 0) {
        useLogger().error(
          { err: (error as Error).message },
          'startup recovery failed; retrying until the store answers',
        )
      }
      await new Promise((resolve) => setTimeout(resolve, RECOVERY_RETRY_MS))
    }
  }
}

/** Create the app, then recover; resolves once requests may be served. */
export function startApp(settings: Settings): Promise<App> {
  created ??= createApp(settings)
  recovered ??= created.then(recover)
  return recovered
}

/** The started app, once recovered (the server's entry listens then). */
export function startedApp(): Promise<App> {
  if (!recovered) throw new Error('the app has not been started')
  return recovered
}

/** The app once recovered; a request that comes too early waits a little, then gets 503. */
export function useApp(): App | Promise<App> {
  if (readyApp) return readyApp
  if (!recovered) throw new Error('the app has not been started')
  return withDeadline(recovered, RECOVERY_WAIT_MS, () =>
    fail('NOT_READY', { retryAfterSeconds: 1 }),
  )
}

/** The app as soon as it exists, recovered or not (GET /ready reports which). */
export function useStartedApp(): Promise<App> {
  if (!created) throw new Error('the app has not been started')
  return created
}
