/**
 * The queue in front of the guests: bounded, with places reserved before a job is stored (so an
 * accepted execution is never refused afterwards), a cap on the jobs one tenant runs at once, a
 * share of the queue per tenant, and fair turns across tenants.
 *
 * Shares: a tenant may hold at most `maxQueue / (tenants holding places + 1)` places — half the
 * queue when it is alone, less as others arrive — so however hard some tenants flood, the queue
 * keeps room, and a tenant under its share is accepted while any place is left. The refusal goes
 * to the tenant over its share, with a Retry-After from its own backlog.
 *
 * Turns: each tenant has its own FIFO; a free guest goes to the waiting tenant that runs the
 * fewest jobs now, and among those to the one served longest ago. So a flood delays another
 * tenant's next job by at most the time until one guest frees, not by the flood's length.
 */
export class PoolFullError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    /** `tenant_share`: this tenant holds its share; `queue_full`: no place is left at all. */
    readonly reason: 'tenant_share' | 'queue_full',
  ) {
    super('the execution queue is full')
  }
}

export interface Reservation {
  release(): void
}

export interface SchedulerOptions {
  maxQueue: number
  /** Jobs of one tenant running at once. */
  perTenant: number
  /** Guests in all: how many jobs run at once. */
  guests: number
  /** A job's expected time before any has ended, in seconds (for Retry-After). */
  expectedJobSeconds: number
}

interface TenantState {
  waiting: unknown[]
  /** Places reserved, not yet pushed. */
  reserved: number
  running: number
  /** When this tenant last got a guest (a turn counter), for ties. */
  servedAt: number
}

/** Retry-After bounds, in seconds. */
const MIN_RETRY_S = 1
const MAX_RETRY_S = 60
/** Weight of the latest job in the running average of job times. */
const AVERAGE_WEIGHT = 0.1

export function createScheduler<T extends { tenant: string }>(options: SchedulerOptions) {
  const tenants = new Map<string, TenantState>()
  let queued = 0
  let reserved = 0
  let turn = 0
  /** Tenants holding places (waiting or reserved). */
  let holding = 0
  let jobSeconds = options.expectedJobSeconds

  const stateOf = (tenant: string) => {
    let state = tenants.get(tenant)
    if (!state) tenants.set(tenant, (state = { waiting: [], reserved: 0, running: 0, servedAt: 0 }))
    return state
  }
  const held = (state: TenantState) => state.waiting.length + state.reserved
  /** Call around every change of a tenant's places: keeps `holding` and forgets idle tenants. */
  const changing = (tenant: string, state: TenantState, change: () => void) => {
    const before = held(state) > 0
    change()
    const after = held(state) > 0
    holding += Number(after) - Number(before)
    if (state.running === 0 && !after) tenants.delete(tenant)
  }
  /** Seconds until `jobs` jobs are done on `guests` guests, at the running average job time. */
  const retryAfter = (jobs: number, guests: number) =>
    Math.min(
      MAX_RETRY_S,
      Math.max(MIN_RETRY_S, Math.ceil((Math.max(1, jobs) * jobSeconds) / Math.max(1, guests))),
    )

  return {
    /** Hold a place in the queue for `tenant`; PoolFullError when it holds its share or none is left. */
    reserve(tenant: string): Reservation {
      const state = stateOf(tenant)
      const mine = held(state)
      const share = Math.max(1, Math.floor(options.maxQueue / (holding + (mine ? 0 : 1) + 1)))
      let refusal: PoolFullError | undefined
      if (mine >= share) {
        const backlog = mine + state.running
        refusal = new PoolFullError(retryAfter(backlog, options.perTenant), 'tenant_share')
      } else if (queued + reserved >= options.maxQueue) {
        refusal = new PoolFullError(retryAfter(queued + reserved, options.guests), 'queue_full')
      }
      if (refusal) {
        changing(tenant, state, () => {})
        throw refusal
      }
      changing(tenant, state, () => state.reserved++)
      reserved++
      let kept = true
      return {
        release() {
          if (!kept) return
          kept = false
          reserved--
          changing(tenant, state, () => state.reserved--)
        },
      }
    },
    /** Queue a job on its tenant's reservation (released by the caller just before). */
    push(item: T) {
      const state = stateOf(item.tenant)
      changing(item.tenant, state, () => state.waiting.push(item))
      queued++
    },
    /** The next job by fair turns among tenants under their cap, now counted as running. */
    take(): T | undefined {
      let chosenTenant: string | undefined
      let chosen: TenantState | undefined
      for (const [tenant, state] of tenants) {
        if (state.waiting.length === 0 || state.running >= options.perTenant) continue
        const better =
          !chosen ||
          state.running < chosen.running ||
          (state.running === chosen.running && state.servedAt < chosen.servedAt)
        if (better) {
          chosen = state
          chosenTenant = tenant
        }
      }
      if (!chosen) return undefined
      const state = chosen
      let item: T | undefined
      changing(chosenTenant!, state, () => {
        state.running++
        item = state.waiting.shift() as T
      })
      state.servedAt = ++turn
      queued--
      return item
    },
    /** A job of `tenant` ended after running `seconds` (its time feeds Retry-After). */
    finished(tenant: string, seconds?: number) {
      if (seconds !== undefined && Number.isFinite(seconds)) {
        jobSeconds += AVERAGE_WEIGHT * (seconds - jobSeconds)
      }
      const state = tenants.get(tenant)
      if (!state) return
      changing(tenant, state, () => (state.running = Math.max(0, state.running - 1)))
    },
    /** Empty the queue (shutdown). */
    drain(): T[] {
      const all: T[] = []
      for (const [tenant, state] of tenants) {
        changing(tenant, state, () => all.push(...(state.waiting.splice(0) as T[])))
      }
      queued = 0
      return all
    },
    get queued() {
      return queued
    },
  }
}
