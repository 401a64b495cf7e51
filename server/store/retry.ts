/**
 * Retrying a write that must not be lost (an execution's result) while the store is unreachable:
 * with backoff, until it answers or a bound passes. Any other error is not retried.
 */
import { isApiError } from '../../core/errors'

export interface RetryOptions {
  /** Give up (the last error is thrown) after this long. */
  forMs: number
  /** Stop retrying early (the process is stopping for good). */
  signal?: AbortSignal
  /** Told once, at the first failure. */
  onFirstFailure?: () => void
}

const FIRST_DELAY_MS = 100
const MAX_DELAY_MS = 2_000

export async function retryWhileStoreDown<T>(
  operation: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const giveUpAt = Date.now() + options.forMs
  let delay = FIRST_DELAY_MS
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      const unavailable = isApiError(error) && error.code === 'STORE_UNAVAILABLE'
      if (!unavailable || Date.now() + delay > giveUpAt || options.signal?.aborted) throw error
      if (attempt === 0) options.onFirstFailure?.()
      await new Promise((resolve) => setTimeout(resolve, delay))
      delay = Math.min(MAX_DELAY_MS, delay * 2)
    }
  }
}
