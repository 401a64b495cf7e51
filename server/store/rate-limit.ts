/**
 * Fixed-window counters in the store, so limits hold across processes and restarts. A counter
 * is named by what it limits (`signup`, `approval-failures`, …) and the subject it counts (a
 * client address, a request id), which is stored only as a digest.
 */
import { createHash } from 'node:crypto'
import { fail } from '../../core/errors'
import type { Store } from './index'

export interface RateWindow {
  name: string
  subject: string
  windowMs: number
}

/** Count one attempt in the current window. */
export async function countAttempt(store: Store, rate: RateWindow) {
  const { key, retryAfterSeconds } = currentWindow(rate)
  const count = await store.increment(key, 1, { ttlMs: rate.windowMs })
  return { count, retryAfterSeconds }
}

/** Count one attempt and refuse it with 429 once the window holds more than `limit`. */
export async function assertWithinRate(store: Store, rate: RateWindow, limit: number) {
  const { count, retryAfterSeconds } = await countAttempt(store, rate)
  if (count > limit) fail('RATE_LIMITED', { retryAfterSeconds })
}

/** Refuse with 429 when the window already holds `limit` attempts (without counting this one). */
export async function assertUnderCount(store: Store, rate: RateWindow, limit: number) {
  const { key, retryAfterSeconds } = currentWindow(rate)
  if (((await store.get<number>(key)) ?? 0) >= limit) fail('RATE_LIMITED', { retryAfterSeconds })
}

function currentWindow({ name, subject, windowMs }: RateWindow) {
  const now = Date.now()
  const window = Math.floor(now / windowMs)
  const digest = createHash('sha256').update(subject).digest('hex').slice(0, 32)
  return {
    key: `ratelimit:${name}:${digest}:${window}`,
    retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000)),
  }
}
