/**
 * A per-key lock inside one process: the embedded store's atomic operations run one at a time
 * per key. (Across processes the embedded store is guarded by the data-dir lock file instead.)
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>()

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const current = new Promise<void>((resolve) => (release = resolve))
    const tail = previous.then(() => current)
    this.#tails.set(key, tail)
    await previous
    try {
      return await task()
    } finally {
      release()
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }

  /** Hold every key's lock (taken in sorted order, so two callers never wait on each other). */
  runAll<T>(keys: string[], task: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort()
    const locked = sorted.reduceRight<() => Promise<T>>(
      (inner, key) => () => this.run(key, inner),
      task,
    )
    return locked()
  }
}
