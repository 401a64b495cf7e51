/**
 * Long-poll wake-ups. One waiter per open status request, keyed by request id; `notify(id)` wakes
 * every waiter of that id in this process and, with Redis, in every other process too (pub/sub).
 * A waiter is removed exactly once: on wake, on timeout, when its client goes away, or when the
 * process begins to stop (`interruptAll`). A publish that fails (the store is down) is not an
 * error: waiters elsewhere re-read on their own (see status.ts).
 */
import type Redis from 'ioredis'
import { watchRedisConnection } from './redis-connection'

export type WaitOutcome = 'woken' | 'timeout' | 'aborted' | 'stopping'

/** One registered waiter: its outcome, and a way to end it early (`aborted`) from inside. */
export interface Waiter {
  outcome: Promise<WaitOutcome>
  /**
   * What `notify` passed along when it woke this waiter from this process (a wake-up from another
   * process carries nothing): the waiter need not read what the notifier just wrote.
   */
  readonly news: unknown
  cancel(): void
}

export interface Notifier {
  wait(id: string, timeoutMs: number, signal?: AbortSignal): Waiter
  /** Wake the waiters of `id` here (handing them `news`) and elsewhere; never throws. */
  notify(id: string, news?: unknown): Promise<void>
  /** The process is stopping: every waiter, now and later, ends at once with `stopping`. */
  interruptAll(): void
  /** Waiters currently registered in this process. */
  readonly waiting: number
  close(): Promise<void>
}

type Wake = (outcome: WaitOutcome, news?: unknown) => void

function createLocalWaiters() {
  const waiters = new Map<string, Set<Wake>>()
  let count = 0
  let stopping = false

  const settled = (outcome: WaitOutcome): Waiter => ({
    outcome: Promise.resolve(outcome),
    news: undefined,
    cancel() {},
  })

  function wait(id: string, timeoutMs: number, signal?: AbortSignal): Waiter {
    if (signal?.aborted) return settled('aborted')
    if (stopping) return settled('stopping')
    let cancel = () => {}
    let news: unknown
    const outcome = new Promise<WaitOutcome>((resolve) => {
      let set = waiters.get(id)
      if (!set) waiters.set(id, (set = new Set()))
      const wake: Wake = (outcome, given) => {
        if (!set.delete(wake)) return
        count--
        if (set.size === 0 && waiters.get(id) === set) waiters.delete(id)
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        news = given
        resolve(outcome)
      }
      const onAbort = () => wake('aborted')
      const timer = setTimeout(() => wake('timeout'), timeoutMs)
      set.add(wake)
      count++
      signal?.addEventListener('abort', onAbort, { once: true })
      cancel = onAbort
    })
    return {
      outcome,
      get news() {
        return news
      },
      cancel: () => cancel(),
    }
  }

  function wakeAll(id: string, news?: unknown) {
    const set = waiters.get(id)
    if (set) for (const wake of [...set]) wake('woken', news)
  }

  function interruptAll() {
    stopping = true
    for (const set of [...waiters.values()]) for (const wake of [...set]) wake('stopping')
  }

  return {
    wait,
    wakeAll,
    interruptAll,
    get waiting() {
      return count
    },
  }
}

export function createLocalNotifier(): Notifier {
  const local = createLocalWaiters()
  return {
    wait: local.wait,
    async notify(id, news) {
      local.wakeAll(id, news)
    },
    interruptAll: local.interruptAll,
    get waiting() {
      return local.waiting
    },
    async close() {},
  }
}

/** Pub/sub over Redis: a dedicated subscriber connection, and publishes on the shared one. */
export async function createRedisNotifier(publisher: Redis, channel: string): Promise<Notifier> {
  const local = createLocalWaiters()
  const subscriber = publisher.duplicate()
  watchRedisConnection(publisher, 'notifier')
  watchRedisConnection(subscriber, 'subscriber')
  subscriber.on('message', (from: string, id: string) => {
    if (from === channel) local.wakeAll(id)
  })
  await subscriber.subscribe(channel)
  return {
    wait: local.wait,
    async notify(id, news) {
      local.wakeAll(id, news)
      await publisher.publish(channel, id).catch(() => {})
    },
    interruptAll: local.interruptAll,
    get waiting() {
      return local.waiting
    },
    async close() {
      subscriber.disconnect()
    },
  }
}
