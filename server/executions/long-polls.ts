/**
 * Status requests held open per tenant in this process: beyond the cap, 429 (RS-12), so one
 * tenant cannot hold every socket.
 */
import { fail } from '../../core/errors'

export interface LongPolls {
  /** Take a slot for `tenantId`; the returned function gives it back (once). */
  hold(tenantId: string): () => void
}

export function createLongPolls(maxPerTenant: number): LongPolls {
  const held = new Map<string, number>()
  return {
    hold(tenantId) {
      const count = held.get(tenantId) ?? 0
      if (count >= maxPerTenant) fail('TOO_MANY_LONG_POLLS', { retryAfterSeconds: 1 })
      held.set(tenantId, count + 1)
      let released = false
      return () => {
        if (released) return
        released = true
        const left = (held.get(tenantId) ?? 1) - 1
        if (left <= 0) held.delete(tenantId)
        else held.set(tenantId, left)
      }
    },
  }
}
