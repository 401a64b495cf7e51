/**
 * The human's per-minute limit on a permit's capability calls (GW-24): at most N calls in any
 * 60 seconds, not per clock minute (a fixed window lets 2N through across a minute's boundary).
 * Kept in the store, so it holds across executions, instances and restarts: per-second counts
 * of the last minute (at most 60 of them), updated atomically; exact to the second.
 */
import { fail } from '../../core/errors'
import type { Store } from '../store'

const WINDOW_SECONDS = 60

/** [second since the epoch, calls in it], oldest first. */
type CallCounts = Array<[number, number]>

export async function takeCallSlot(store: Store, permitId: string, perMinute: number) {
  await store.update<CallCounts>(
    `permit-calls:${permitId}`,
    (current) => {
      const second = Math.floor(Date.now() / 1000)
      const recent = (current ?? []).filter(([at]) => at > second - WINDOW_SECONDS)
      const used = recent.reduce((sum, [, count]) => sum + count, 0)
      if (used >= perMinute) {
        fail('rate_limited', { detail: `at most ${perMinute} calls per minute under this permit` })
      }
      const last = recent[recent.length - 1]
      if (last?.[0] === second) return [...recent.slice(0, -1), [second, last[1] + 1]]
      return [...recent, [second, 1]]
    },
    { ttlMs: WINDOW_SECONDS * 1000 },
  )
}
