/**
 * GET /ready: can this instance serve? The store answers (within a short bound) and still holds
 * what it held (its identity marker), the sandbox pool has processes, startup recovery has run,
 * and it is not stopping. GET /health stays liveness.
 */
import { withDeadline } from '../../core/deadline'
import type { App } from '../app'

/** A store that takes longer than this to answer a ping counts as down. */
const STORE_PING_MS = 1_000

export async function readReadiness(app: App) {
  const store = app.lifecycle.storeLost ? ('lost' as const) : await pingStore(app)
  const pool = app.pool.stats()
  const sandbox = pool.processes > 0 ? 'ok' : 'unavailable'
  const recovery = app.lifecycle.recovered ? 'done' : 'pending'
  const ready = store === 'ok' && sandbox === 'ok' && recovery === 'done' && !app.lifecycle.stopping
  return {
    status: ready ? ('ready' as const) : ('unready' as const),
    store,
    sandbox: { status: sandbox, processes: pool.processes, busy: pool.busy, queued: pool.queued },
    recovery,
    stopping: app.lifecycle.stopping,
    ...(app.store.sizes ? { store_data: dataSizes(app.store.engine, app.store.sizes()) } : {}),
    ...(app.store.durability ? { store_durability: app.store.durability } : {}),
  }
}

/** The embedded store's keys, live data and bytes on disk, for operators watching retention work. */
function dataSizes(
  engine: string | undefined,
  sizes: { journalBytes: number; liveBytes: number; keys: number },
) {
  return {
    engine,
    keys: sizes.keys,
    live_bytes: sizes.liveBytes,
    disk_bytes: sizes.journalBytes,
  }
}

function pingStore(app: App): Promise<'ok' | 'unavailable'> {
  const answered = app.store.ping().then(
    () => 'ok' as const,
    () => 'unavailable' as const,
  )
  return withDeadline(answered, STORE_PING_MS, () => 'unavailable' as const)
}
