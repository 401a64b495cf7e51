/**
 * Running markers are removed in batches: one store write every few milliseconds for every
 * execution that ended meanwhile, instead of one each. A marker whose removal is late or lost
 * (a crash, an outage) is harmless: its record is terminal already, and the next lease tick or
 * start removes it.
 */
import type { Store } from '../store'

const BATCH_EVERY_MS = 50

export interface MarkerBatch {
  remove(key: string): void
  /** Remove what is waiting now (at close). */
  flush(): Promise<void>
}

export function createMarkerBatch(store: Store): MarkerBatch {
  let waiting: string[] = []
  let timer: NodeJS.Timeout | undefined

  async function flush() {
    clearTimeout(timer)
    timer = undefined
    const keys = waiting
    waiting = []
    if (keys.length) await store.removeMany(keys).catch(() => {})
  }

  return {
    remove(key) {
      waiting.push(key)
      if (!timer) {
        timer = setTimeout(() => void flush(), BATCH_EVERY_MS)
        timer.unref()
      }
    },
    flush,
  }
}
