/**
 * Executions between acceptance and their stored result, in this process. Shutdown waits for
 * them, so every accepted execution stores a terminal state before the store closes.
 */
export interface Inflight {
  track(running: Promise<void>): void
  /** Resolves once every tracked execution has settled. */
  settled(): Promise<void>
}

export function createInflight(): Inflight {
  const running = new Set<Promise<void>>()
  return {
    track(promise) {
      running.add(promise)
      void promise.finally(() => running.delete(promise))
    },
    async settled() {
      await Promise.allSettled([...running])
    },
  }
}
