/**
 * The store contract: a key/value store over unstorage plus the few atomic operations the
 * services need. Every backend passes the same contract suite (test/store.contract.test.ts).
 * Expiry is part of the stored record and checked on every read.
 */
import { fail } from '../../core/errors'
import type { StoreDurability } from './redis-durability'

export interface WriteOptions {
  /** Time to live; the record reads as absent once it has passed. */
  ttlMs?: number
}

export interface Store {
  readonly kind: 'embedded' | 'redis'
  /** The embedded store's engine: records on disk (sqlite) or in the heap (journal). */
  readonly engine?: 'sqlite' | 'journal'
  /** Whether the store keeps what it acknowledged across a crash (Redis: checked at startup). */
  readonly durability?: StoreDurability
  get<T>(key: string): Promise<T | null>
  set<T>(key: string, value: T, options?: WriteOptions): Promise<void>
  remove(key: string): Promise<void>
  /** Full keys that start with `prefix` followed by ':'. Order is unspecified. */
  keys(prefix: string): Promise<string[]>
  /**
   * Several writes that stand or fall together, as one journal line or one Redis transaction:
   * the cheapest way to store a record with its index entries.
   */
  setMany(entries: Array<{ key: string; value: unknown; ttlMs?: number }>): Promise<void>
  /** Remove several keys at once (one journal batch, one Redis command). */
  removeMany(keys: string[]): Promise<void>
  /** Writes only when the key is absent (or expired); true when this call wrote it. */
  createIfAbsent<T>(key: string, value: T, options?: WriteOptions): Promise<boolean>
  /**
   * Compare-and-set: `mutate` sees the current value and returns the next one; the write happens
   * only if nobody wrote in between (else `mutate` runs again on the newer value). An error thrown
   * by `mutate` aborts the update and reaches the caller. Keeps the record's expiry unless
   * `ttlMs` is given.
   */
  update<T>(key: string, mutate: (current: T | null) => T, options?: WriteOptions): Promise<T>
  /** Adds `by` and returns the new value; `ttlMs` applies when the counter is (re)created. */
  increment(key: string, by?: number, options?: WriteOptions): Promise<number>
  /**
   * Compare-and-set over several keys at once: each step sees its key's current value (or the
   * value an earlier step gave it) and returns the next one, or `undefined` to leave it. Every
   * write happens together, or — when a step throws, or another writer changed one of the keys
   * meanwhile (then the steps run again) — none does. Answers each step's resulting value.
   * Records keep their expiry unless a step says how long to keep its value (`keptFor`).
   */
  transact(steps: TransactionStep[]): Promise<unknown[]>
  /** Resolves when the store answers; fails (STORE_UNAVAILABLE) when it does not. */
  ping(): Promise<void>
  /** The embedded store's journal and live data (Redis keeps its own figures). */
  sizes?(): { journalBytes: number; liveBytes: number; keys: number }
  /** Drop expired records from memory now (the embedded store also does it on a timer). */
  sweepExpired?(): number
  close(): Promise<void>
}

/** One key's part in a transaction (see Store.transact). */
export interface TransactionStep<T = unknown> {
  key: string
  apply(current: T | null): T | undefined
  /** A new time to live (ms) for the key, from the value the step writes. */
  keptFor?(value: T): number
}

/**
 * Run the steps over the keys' current values: the next values to write, each step's result, and
 * the new time to live of the keys whose writing step gave one.
 */
export function applySteps(steps: TransactionStep[], current: Map<string, unknown>) {
  const values = new Map(current)
  const next = new Map<string, unknown>()
  const ttls = new Map<string, number>()
  const results = steps.map((step) => {
    const value = step.apply(values.get(step.key) ?? null)
    if (value !== undefined) {
      values.set(step.key, value)
      next.set(step.key, value)
      if (step.keptFor) ttls.set(step.key, step.keptFor(value))
    }
    return values.get(step.key) ?? null
  })
  return { next, results, ttls }
}

/** What is stored under a key: the value and its absolute expiry (epoch ms). */
export interface Envelope<T = unknown> {
  v: T
  e?: number
}

/** Seconds a client should wait before retrying while the store does not answer. */
export const STORE_RETRY_AFTER_S = 2

/**
 * An operation that reaches the storage itself: when it fails (a full disk, a lost connection, a
 * timeout), the caller answers 503 STORE_UNAVAILABLE with Retry-After, never a 500 (rule 19).
 */
export async function storeIo<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch {
    return fail('STORE_UNAVAILABLE', { retryAfterSeconds: STORE_RETRY_AFTER_S })
  }
}

const KEY = /^[A-Za-z0-9_-]+(?::[A-Za-z0-9_.-]+)*$/

/** Keys are built by our services only, never from unchecked input; this is the last guard. */
export function assertStoreKey(key: string): string {
  if (!KEY.test(key) || key.split(':').some((segment) => segment === '.' || segment === '..')) {
    throw new Error(`invalid store key shape`)
  }
  return key
}

export function isLive(
  envelope: Envelope | null | undefined,
  now = Date.now(),
): envelope is Envelope {
  return Boolean(envelope) && (envelope!.e === undefined || envelope!.e > now)
}

export function wrap<T>(value: T, ttlMs: number | undefined, keepExpiry?: number): Envelope<T> {
  if (ttlMs !== undefined) return { v: value, e: Date.now() + ttlMs }
  return keepExpiry === undefined ? { v: value } : { v: value, e: keepExpiry }
}
