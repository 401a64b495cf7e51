/**
 * Fixed-window counters in the store, so limits hold across processes and restarts.
 */
import { createHash } from 'node:crypto'
import { fail } from '../../core/errors'
import type { Store } from '../store'

export async function countAttempt(
  store: Store,
  name: string,
  subject: string,
  windowMs: number,
): Promise<{ count: number; retryAfterSeconds: number }> {
  const window = Math.floor(Date.now() / windowMs)
  const count = await store.increment(`ratelimit:${name}:${digest(subject)}:${window}`, 1, {
    ttlMs: windowMs,
  })
  const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - Date.now()) / 1000))
  return { count, retryAfterSeconds }
}

/** Count one attempt and refuse it with 429 once the window holds more than `limit`. */
export async function assertWithinRate(
  store: Store,
  name: string,
  subject: string,
  limit: number,
  windowMs: number,
): Promise<void> {
  const { count, retryAfterSeconds } = await countAttempt(store, name, subject, windowMs)
  if (count > limit) fail('RATE_LIMITED', { retryAfterSeconds })
}

/** Has the window already passed `limit` (without counting this attempt)? */
export async function assertUnderCount(
  store: Store,
  name: string,
  subject: string,
  limit: number,
  windowMs: number,
): Promise<void> {
  const window = Math.floor(Date.now() / windowMs)
  const count = (await store.get<number>(`ratelimit:${name}:${digest(subject)}:${window}`)) ?? 0
  if (count >= limit)
    fail('RATE_LIMITED', {
      retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * windowMs - Date.now()) / 1000)),
    })
}

function digest(subject: string): string {
  return createHash('sha256').update(subject).digest('hex').slice(0, 32)
}
