/**
 * The queue in front of the guests: bounded, with places reserved before a job is stored (so an
 * accepted execution is never refused afterwards), a cap on the jobs one tenant runs at once, and
 * fair turns across tenants. Each tenant has its own FIFO; a free guest goes to the waiting tenant
 * that runs the fewest jobs now, and among those to the one served longest ago. So a tenant that
 * floods the queue delays another tenant's next job by at most the time until one guest frees,
 * not by the length of its own backlog.
 */
export class PoolFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
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
  /** Retry-After of a refusal, in seconds. */
  retryAfterSeconds: number
}

interface TenantState {
  waiting: unknown[]
  running: number
  /** When this tenant last got a guest (a turn counter), for ties. */
  servedAt: number
}

export function createScheduler<T extends { tenant: string }>(options: SchedulerOptions) {
  const tenants = new Map<string, TenantState>()
  let queued = 0
  let reserved = 0
  let turn = 0

  const stateOf = (tenant: string) => {
    let state = tenants.get(tenant)
    if (!state) tenants.set(tenant, (state = { waiting: [], running: 0, servedAt: 0 }))
    return state
  }
  const forgetIfIdle = (tenant: string, state: TenantState) => {
    if (state.running === 0 && state.waiting.length === 0) tenants.delete(tenant)
  }

  return {
    /** Hold a place in the queue; PoolFullError when it is full. */
    reserve(): Reservation {
      if (queued + reserved >= options.maxQueue) {
        throw new PoolFullError(options.retryAfterSeconds)
      }
      reserved++
      let held = true
      return {
        release() {
          if (held) reserved--
          held = false
        },
      }
    },
    push(item: T) {
      stateOf(item.tenant).waiting.push(item)
      queued++
    },
    /** The next job by fair turns among tenants under their cap, now counted as running. */
    take(): T | undefined {
      let chosen: TenantState | undefined
      for (const state of tenants.values()) {
        if (state.waiting.length === 0 || state.running >= options.perTenant) continue
        const better =
          !chosen ||
          state.running < chosen.running ||
          (state.running === chosen.running && state.servedAt < chosen.servedAt)
        if (better) chosen = state
      }
      if (!chosen) return undefined
      chosen.running++
      chosen.servedAt = ++turn
      queued--
      return chosen.waiting.shift() as T
    },
    /** A job of `tenant` ended. */
    finished(tenant: string) {
      const state = tenants.get(tenant)
      if (!state) return
      state.running = Math.max(0, state.running - 1)
      forgetIfIdle(tenant, state)
    },
    /** Empty the queue (shutdown). */
    drain(): T[] {
      const all: T[] = []
      for (const [tenant, state] of tenants) {
        all.push(...(state.waiting.splice(0) as T[]))
        forgetIfIdle(tenant, state)
      }
      queued = 0
      return all
    },
    get queued() {
      return queued
    },
  }
}
