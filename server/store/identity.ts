/**
 * The store's identity: a marker written once, by the first instance that opens a store, and
 * read again by every instance on a timer. A marker gone or changed means the store lost its data
 * under this instance (a Redis restarted without persistence, emptied, or replaced): everything it
 * acknowledged may be gone, so it says so — in the log, and on /ready — instead of answering
 * "ready" over an empty store.
 */
import { randomBytes } from 'node:crypto'
import type { Store } from './types'

const IDENTITY_KEY = 'store-identity'

interface Identity {
  id: string
  created_at: number
}

/** The store's identity: the marker already there, or one this call writes. */
export async function claimStoreIdentity(store: Store): Promise<string> {
  const mine: Identity = { id: randomBytes(16).toString('hex'), created_at: Date.now() }
  await store.createIfAbsent(IDENTITY_KEY, mine)
  const current = await store.get<Identity>(IDENTITY_KEY)
  return current?.id ?? mine.id
}

/**
 * Read the marker every `everyMs`; `onLost` once when it is gone or another. A store that does
 * not answer is not a lost store (that is an outage: /ready says `unavailable`).
 */
export function watchStoreIdentity(
  store: Store,
  id: string,
  everyMs: number,
  onLost: () => void,
): () => void {
  let lost = false
  const timer = setInterval(async () => {
    if (lost) return
    let current: Identity | null
    try {
      current = await store.get<Identity>(IDENTITY_KEY)
    } catch {
      return
    }
    if (current?.id === id) return
    lost = true
    onLost()
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
