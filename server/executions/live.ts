/**
 * Live output of the executions this process runs: their stdout and stderr as printed, each
 * capability call as it completes (redacted), and the end. A subscriber first receives everything
 * so far, then what follows; a feed is kept a little after its end for late subscribers, then
 * dropped. Bounded by the execution's own output and call limits.
 */
export type LiveEvent =
  | { type: 'stdout' | 'stderr'; data: string }
  | { type: 'call'; data: unknown }
  | { type: 'end'; data: unknown }

export type LiveListener = (event: LiveEvent) => void

interface Feed {
  events: LiveEvent[]
  listeners: Set<LiveListener>
  ended: boolean
}

export interface LiveFeeds {
  /** Start the feed of an execution (idempotent). */
  open(id: string): void
  push(id: string, event: LiveEvent): void
  /** This process runs the execution and it has not ended: its end will be pushed here. */
  running(id: string): boolean
  /**
   * Everything so far and, unless the feed ended, the live rest through `listener`; null when
   * this process holds no feed for the execution.
   */
  subscribe(id: string, listener: LiveListener): { past: LiveEvent[]; stop(): void } | null
}

/**
 * How long an ended feed stays for late subscribers, who then get the story in its order; later
 * ones are answered from the record (stdout, stderr, calls, end). Short, because ended feeds are
 * held for every execution: at 300 executions/s, a minute of them was ≈ 60 MB.
 */
const KEEP_AFTER_END_MS = 5_000

export function createLiveFeeds(): LiveFeeds {
  const feeds = new Map<string, Feed>()
  return {
    open(id) {
      if (!feeds.has(id)) feeds.set(id, { events: [], listeners: new Set(), ended: false })
    },
    push(id, event) {
      const feed = feeds.get(id)
      if (!feed || feed.ended) return
      feed.events.push(event)
      for (const listener of feed.listeners) listener(event)
      if (event.type === 'end') {
        feed.ended = true
        feed.listeners.clear()
        setTimeout(() => feeds.delete(id), KEEP_AFTER_END_MS).unref()
      }
    },
    running(id) {
      const feed = feeds.get(id)
      return feed !== undefined && !feed.ended
    },
    subscribe(id, listener) {
      const feed = feeds.get(id)
      if (!feed) return null
      const past = [...feed.events]
      if (feed.ended) return { past, stop() {} }
      feed.listeners.add(listener)
      return { past, stop: () => feed.listeners.delete(listener) }
    },
  }
}
