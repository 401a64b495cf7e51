/**
 * The embedded store: the journal driver (an unstorage driver) used directly, for one server
 * process — values are our own JSON envelopes, so unstorage's key normalising and its second
 * encoding and safe-parsing on every access are left out (each a measurable part of a request). Atomic
 * operations hold a per-key lock for their read-modify-write; a lock file keeps a second process
 * from opening the same data folder (two writers would break those guarantees). Expired records are
 * swept from memory on a timer, and the journal compacts behind them.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { openEmbeddedDriver, type EmbeddedDriver, type EmbeddedEngine } from './embedded-driver'
import { KeyedMutex } from './keyed-mutex'
import {
  applySteps,
  assertStoreKey,
  isLive,
  storeIo,
  wrap,
  type Envelope,
  type Store,
  type TransactionStep,
  type WriteOptions,
} from './types'

export interface EmbeddedStoreOptions {
  dir: string
  fsync?: boolean
  /** Which engine keeps the records (embedded-driver.ts); `auto` by default. */
  engine?: EmbeddedEngine
  /** How often expired records are dropped (default a minute). */
  sweepEveryMs?: number
}

const SWEEP_EVERY_MS = 60_000
/** Expired records dropped per sweep step; a bigger backlog continues on the next turns. */
const SWEEP_STEP = 5_000

export async function createEmbeddedStore(options: EmbeddedStoreOptions): Promise<Store> {
  const dir = join(options.dir, 'store')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const releaseLock = acquireDirLock(options.dir)
  let driver: EmbeddedDriver
  let engine: 'sqlite' | 'journal'
  try {
    ;({ driver, engine } = await openEmbeddedDriver({
      dir,
      fsync: options.fsync,
      engine: options.engine,
    }))
  } catch (error) {
    releaseLock()
    throw error
  }
  const mutex = new KeyedMutex()
  let sweeping = false
  const sweep = () => {
    if (sweeping) return
    sweeping = true
    const step = () => {
      let dropped = 0
      try {
        dropped = driver.sweepExpired(Date.now(), SWEEP_STEP)
      } catch {
        // The store cannot write now (a full disk): expired records wait for the next sweep.
      }
      if (dropped >= SWEEP_STEP) setImmediate(step)
      else sweeping = false
    }
    step()
  }
  const sweeper = setInterval(sweep, options.sweepEveryMs ?? SWEEP_EVERY_MS)
  sweeper.unref()

  const read = async <T>(key: string): Promise<Envelope<T> | null> => {
    const raw = driver.getItem(assertStoreKey(key))
    const envelope = raw === null ? null : (JSON.parse(raw) as Envelope<T>)
    return isLive(envelope) ? envelope : null
  }
  const write = (key: string, envelope: Envelope) =>
    storeIo(() => driver.setItem(key, JSON.stringify(envelope), { expiresAt: envelope.e }))

  return {
    kind: 'embedded',
    engine,
    async get<T>(key: string) {
      return (await read<T>(key))?.v ?? null
    },
    async set<T>(key: string, value: T, opts: WriteOptions = {}) {
      return mutex.run(assertStoreKey(key), () => write(key, wrap(value, opts.ttlMs)))
    },
    async remove(key: string) {
      return mutex.run(assertStoreKey(key), () => storeIo(async () => driver.removeItem(key)))
    },
    async setMany(entries) {
      const keys = entries.map((entry) => assertStoreKey(entry.key))
      await mutex.runAll(keys, () => {
        const items = entries.map(({ key, value, ttlMs }) => {
          const envelope = wrap(value, ttlMs)
          return { key, value: JSON.stringify(envelope), options: { expiresAt: envelope.e } }
        })
        return storeIo(() => driver.setItems(items))
      })
    },
    async removeMany(keys: string[]) {
      // Issued in one turn: the journal writes them as one batch.
      await Promise.all(
        keys.map((key) =>
          mutex.run(assertStoreKey(key), () => storeIo(async () => driver.removeItem(key))),
        ),
      )
    },
    async keys(prefix: string) {
      assertStoreKey(prefix)
      return driver.getKeys(prefix).filter((key) => key.startsWith(`${prefix}:`))
    },
    async createIfAbsent<T>(key: string, value: T, opts: WriteOptions = {}) {
      return mutex.run(assertStoreKey(key), async () => {
        if (await read(key)) return false
        await write(key, wrap(value, opts.ttlMs))
        return true
      })
    },
    async update<T>(key: string, mutate: (current: T | null) => T, opts: WriteOptions = {}) {
      return mutex.run(assertStoreKey(key), async () => {
        const current = await read<T>(key)
        const next = mutate(current?.v ?? null)
        await write(key, wrap(next, opts.ttlMs, current?.e))
        return next
      })
    },
    async increment(key: string, by = 1, opts: WriteOptions = {}) {
      return mutex.run(assertStoreKey(key), async () => {
        const current = await read<number>(key)
        const next = (current?.v ?? 0) + by
        await write(key, current ? wrap(next, undefined, current.e) : wrap(next, opts.ttlMs))
        return next
      })
    },
    async transact(steps: TransactionStep[]) {
      const keys = steps.map((step) => assertStoreKey(step.key))
      return mutex.runAll(keys, async () => {
        const envelopes = new Map<string, Envelope | null>()
        for (const key of keys) envelopes.set(key, await read(key))
        const current = new Map([...envelopes].map(([key, envelope]) => [key, envelope?.v ?? null]))
        const { next, results, ttls } = applySteps(steps, current)
        const items = [...next].map(([key, value]) => {
          const envelope = wrap(value, ttls.get(key), envelopes.get(key)?.e)
          return { key, value: JSON.stringify(envelope), options: { expiresAt: envelope.e } }
        })
        if (items.length) await storeIo(() => driver.setItems(items))
        return results
      })
    },
    async ping() {},
    sizes: () => driver.sizes(),
    sweepExpired: () => driver.sweepExpired(),
    async close() {
      clearInterval(sweeper)
      driver.dispose()
      releaseLock()
    },
  }
}

/** One process per data folder; a lock left by a killed process (its pid is gone) is taken over. */
function acquireDirLock(dataDir: string): () => void {
  const lockFile = join(dataDir, 'LOCK')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => {
        try {
          if (readFileSync(lockFile, 'utf8') === String(process.pid)) unlinkSync(lockFile)
        } catch {
          /* already gone */
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number(readFileSync(lockFile, 'utf8'))
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `in use by process ${holder} (one server per folder; several share state through NITRO_REDIS_URL)`,
        )
      }
      unlinkSync(lockFile)
    }
  }
  throw new Error(`Could not lock the data folder ${dataDir}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
