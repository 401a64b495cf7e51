/**
 * Requests held open per tenant in this process — status long-polls and live-event streams:
 * beyond the cap, 429 (RS-12), so one tenant cannot hold every socket.
 */
import { fail } from '../../core/errors'

export type HeldKind = 'long_poll' | 'stream'

export interface LongPolls {
  /** Take a slot for `tenantId`; the returned function gives it back (once). */
  hold(tenantId: string, kind: HeldKind): () => void
  /** How many are held now, by kind (the held-requests metric). */
  heldByKind(): Record<HeldKind, number>
}

export function createLongPolls(maxPerTenant: number): LongPolls {
  const held = new Map<string, number>()
  const byKind: Record<HeldKind, number> = { long_poll: 0, stream: 0 }
  return {
    hold(tenantId, kind) {
      const count = held.get(tenantId) ?? 0
      if (count >= maxPerTenant) fail('TOO_MANY_LONG_POLLS', { retryAfterSeconds: 1 })
      held.set(tenantId, count + 1)
      byKind[kind]++
      let released = false
      return () => {
        if (released) return
        released = true
        byKind[kind]--
        const left = (held.get(tenantId) ?? 1) - 1
        if (left <= 0) held.delete(tenantId)
        else held.set(tenantId, left)
      }
    },
    heldByKind: () => ({ ...byKind }),
  }
}
