/**
 * Requests held open per tenant in this process — status long-polls, live-event streams and
 * inline waits (`POST /execute` with `Prefer: wait`), one cap for all (rule 24): beyond it a
 * long-poll or stream is 429 (RS-12), an inline wait is not held, so one tenant cannot hold every
 * socket.
 */
import { fail } from '../../core/errors'

export type HeldKind = 'long_poll' | 'stream' | 'inline_wait'

export interface LongPolls {
  /** Take a slot for `tenantId`; the returned function gives it back (once). */
  hold(tenantId: string, kind: HeldKind): () => void
  /** The same, or null at the cap (for a wait the request can do without). */
  tryHold(tenantId: string, kind: HeldKind): (() => void) | null
  /** How many are held now, by kind (the held-requests metric). */
  heldByKind(): Record<HeldKind, number>
}

export function createLongPolls(maxPerTenant: number): LongPolls {
  const held = new Map<string, number>()
  const byKind: Record<HeldKind, number> = { long_poll: 0, stream: 0, inline_wait: 0 }
  const polls: LongPolls = {
    hold(tenantId, kind) {
      return polls.tryHold(tenantId, kind) ?? fail('TOO_MANY_LONG_POLLS', { retryAfterSeconds: 1 })
    },
    tryHold(tenantId, kind) {
      const count = held.get(tenantId) ?? 0
      if (count >= maxPerTenant) return null
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
  return polls
}
