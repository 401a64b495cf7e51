/**
 * The queue in front of the guests: bounded, with places reserved before a job is stored (so an
 * accepted execution is never refused afterwards), and a cap on the jobs one tenant runs at once
 * (so one tenant cannot hold every guest).
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

export function createScheduler<T extends { tenant: string }>(options: SchedulerOptions) {
  const queue: T[] = []
  const running = new Map<string, number>()
  let reserved = 0

  return {
    /** Hold a place in the queue; PoolFullError when it is full. */
    reserve(): Reservation {
      if (queue.length + reserved >= options.maxQueue) {
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
      queue.push(item)
    },
    /** The first queued job whose tenant is under its cap, now counted as running. */
    take(): T | undefined {
      const index = queue.findIndex((item) => (running.get(item.tenant) ?? 0) < options.perTenant)
      if (index < 0) return undefined
      const [item] = queue.splice(index, 1)
      running.set(item.tenant, (running.get(item.tenant) ?? 0) + 1)
      return item
    },
    /** A job of `tenant` ended. */
    finished(tenant: string) {
      const left = (running.get(tenant) ?? 1) - 1
      if (left <= 0) running.delete(tenant)
      else running.set(tenant, left)
    },
    /** Empty the queue (shutdown). */
    drain(): T[] {
      return queue.splice(0)
    },
    get queued() {
      return queue.length
    },
  }
}
