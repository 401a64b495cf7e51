/**
 * An unstorage driver for the embedded store: every key lives in memory, and every change is one
 * line appended to a journal file before it is acknowledged. A `kill -9` at any instant loses
 * nothing acknowledged: the OS holds every completed append, and a torn last line (a write cut
 * short) is dropped when the journal is replayed at open. With `fsync` each batch of appends is
 * also flushed to the disk, which survives power loss. Appends queued while one is in flight go
 * out together in one write (group commit). A value may carry its expiry (`expiresAt`): past it,
 * `sweepExpired` drops it from memory and replay skips it, so memory and the journal follow live
 * data. The journal is rewritten compactly when it has grown well past its live data.
 */
import {
  closeSync,
  ftruncateSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  renameSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { defineDriver } from 'unstorage'
import {
  journalEntries,
  operationsOf,
  removalJson,
  writeLine,
  writesOf,
  type JournalOperation,
} from './journal-lines'

export type { JournalOperation } from './journal-lines'

export interface JournalOptions {
  dir: string
  fsync?: boolean
  /** Rewrite the journal once it is at least this large and twice its live size. */
  compactAtBytes?: number
  /**
   * Every value is JSON text (the embedded store's envelopes): the journal holds it as JSON
   * (`j`), not as a string of escaped JSON (`v`) — one encoding instead of two.
   */
  json?: boolean
  /**
   * Journal size past which new writes are refused (after compacting, if that helps): every
   * record lives in the heap, and a heap that runs out aborts the process — and its restart,
   * replaying them. The bound at open is the same, so what was accepted can always be reopened.
   */
  maxJournalBytes?: number
}

/** A write refused because the journal's live data reached `maxLiveBytes`. */
export class JournalFullError extends Error {
  constructor() {
    super('the journal store holds as much as this process has heap for')
  }
}

/** A write's options: when the value expires (epoch ms). */
export interface JournalWriteOptions {
  expiresAt?: number
}

const FILE = 'journal.log'
const COMPACT_AT_BYTES = 1024 * 1024
const SWEEP_COMPACT_AT_BYTES = 64 * 1024

export const journalDriver = defineDriver((options: JournalOptions) => {
  const file = join(options.dir, FILE)
  const { data, expiries } = replay(file)
  /** One write as journal JSON: the value embedded as JSON in `json` mode, else as a string. */
  const writeJson = (k: string, v: string, e: number | undefined) =>
    writeLine(k, v, e, options.json === true)
  let live = 0
  for (const [k, v] of data) live += sizeOf(k, v)
  const compactAt = options.compactAtBytes ?? COMPACT_AT_BYTES
  let journalBytes = existsSync(file) ? statSync(file).size : 0
  let fd: number | undefined
  let pending: Array<{ line: string; apply: () => void; done: (error?: Error) => void }> = []
  let scheduled = false
  /** Keys that appends not yet written change. */
  const unwritten = new Set<string>()

  // Appends made in the same turn of the event loop go out as one synchronous write at the end of
  // that turn (setImmediate: after every I/O callback of the turn, not after each callback's
  // microtasks, which made nearly every append a write of its own under load): no thread-pool
  // round trip, and one write (and one fsync) for the whole batch. An append is acknowledged,
  // and readable, once written.
  function flush() {
    scheduled = false
    if (!pending.length) return
    const batch = pending
    pending = []
    unwritten.clear()
    const bytes = Buffer.from(batch.map((item) => item.line).join(''))
    try {
      fd ??= openJournal()
      let offset = 0
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset)
      if (options.fsync) fdatasyncSync(fd)
      journalBytes += bytes.length
    } catch (error) {
      // A write cut short (a full disk, a file size limit) must not leave a torn line in the
      // middle of the journal: later appends would follow it, and replay would stop there.
      discardTail()
      for (const item of batch) item.done(error as Error)
      return
    }
    for (const item of batch) {
      item.apply()
      item.done()
    }
    compactIfGrown()
  }

  /** Appends compact past `compactAt`; a sweep (rare) past a smaller floor, so idle stores shrink. */
  function compactIfGrown(floor = compactAt) {
    if (journalBytes > floor && journalBytes > 2 * live) compact()
  }

  /** The one way the map changes, so the live size and the expiries follow it. */
  function put(key: string, value: string, expiresAt: number | undefined) {
    const old = data.get(key)
    if (old !== undefined) live -= sizeOf(key, old)
    data.set(key, value)
    live += sizeOf(key, value)
    if (expiresAt === undefined) expiries.delete(key)
    else expiries.set(key, expiresAt)
  }

  function drop(key: string) {
    const old = data.get(key)
    if (old === undefined) return
    live -= sizeOf(key, old)
    data.delete(key)
    expiries.delete(key)
  }

  /** Cut the journal back to its last whole batch; if even that fails, reopen it next time. */
  function discardTail() {
    try {
      if (fd !== undefined) ftruncateSync(fd, journalBytes)
    } catch {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    }
  }

  /** Open for appending, first cutting anything past the last whole batch. */
  function openJournal(): number {
    if (existsSync(file) && statSync(file).size > journalBytes) truncateSync(file, journalBytes)
    return openSync(file, 'a', 0o600)
  }

  /**
   * A read of what a pending append changes writes the pending appends first: a reader then sees
   * the write (acknowledged from then on), and readers that never yield to the event loop cannot
   * hold a write back.
   */
  function settle(key: string) {
    if (unwritten.has(key)) flush()
  }

  function settleUnder(prefix: string) {
    for (const key of unwritten) {
      if (!prefix || key === prefix || key.startsWith(`${prefix}:`)) return flush()
    }
  }

  function append(line: string, apply: () => void, keys: string[], removal = false): Promise<void> {
    if (
      !removal &&
      options.maxJournalBytes !== undefined &&
      journalBytes > options.maxJournalBytes
    ) {
      if (!pending.length && journalBytes > live * 1.2) compact()
      if (journalBytes > options.maxJournalBytes) return Promise.reject(new JournalFullError())
    }
    for (const key of keys) unwritten.add(key)
    return new Promise((resolve, reject) => {
      pending.push({
        line: line + '\n',
        apply,
        done: (error) => (error ? reject(error) : resolve()),
      })
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
  }

  /** Write the live data to a new journal and swap it in (synchronously: no append can interleave). */
  function compact() {
    if (fd !== undefined) closeSync(fd)
    fd = undefined
    const tmp = `${file}.compact`
    const out = openSync(tmp, 'w', 0o600)
    try {
      const lines: string[] = []
      for (const [k, v] of data) {
        lines.push(writeJson(k, v, expiries.get(k)) + '\n')
        if (lines.length >= 1024) writeSync(out, lines.splice(0).join(''))
      }
      if (lines.length) writeSync(out, lines.join(''))
      fsyncSync(out)
    } finally {
      closeSync(out)
    }
    renameSync(tmp, file)
    syncDir(options.dir)
    journalBytes = statSync(file).size
  }

  function keysUnder(prefix = ''): string[] {
    const clean = prefix.replace(/:+$/, '')
    const keys: string[] = []
    for (const key of data.keys())
      if (!clean || key === clean || key.startsWith(`${clean}:`)) keys.push(key)
    return keys
  }

  return {
    name: 'journal',
    options,
    hasItem: (key: string) => (settle(key), data.has(key)),
    getItem: (key: string) => (settle(key), data.get(key) ?? null),
    setItem: (key: string, value: string, opts: JournalWriteOptions = {}) =>
      append(writeJson(key, value, opts.expiresAt), () => put(key, value, opts.expiresAt), [key]),
    setItems: (items: Array<{ key: string; value: string; options?: JournalWriteOptions }>) =>
      append(
        `{"t":[${items.map(({ key, value, options }) => writeJson(key, value, options?.expiresAt)).join(',')}]}`,
        () => {
          for (const { key, value, options } of items) put(key, value, options?.expiresAt)
        },
        items.map((item) => item.key),
      ),
    removeItem: (key: string) => {
      settle(key)
      return data.has(key) ? append(removalJson(key), () => drop(key), [key], true) : undefined
    },
    getKeys: (prefix?: string) => (
      settleUnder((prefix ?? '').replace(/:+$/, '')),
      keysUnder(prefix)
    ),
    async clear(prefix: string) {
      settleUnder(prefix.replace(/:+$/, ''))
      for (const key of keysUnder(prefix))
        await append(removalJson(key), () => drop(key), [key], true)
    },
    /**
     * Forget every value past its expiry (no journal line: replay skips them too), then compact
     * if the journal has grown past twice the live data. Answers how many were dropped.
     */
    sweepExpired(now = Date.now(), _limit?: number): number {
      let dropped = 0
      for (const [key, expiresAt] of expiries) {
        if (expiresAt > now) continue
        drop(key)
        dropped++
      }
      if (!pending.length) compactIfGrown(SWEEP_COMPACT_AT_BYTES)
      return dropped
    },
    /** The journal's size and the live data's, in bytes (for /ready and the docs). */
    sizes: () => ({ journalBytes, liveBytes: live, keys: data.size }),
    dispose() {
      if (pending.length) flush()
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
})

/**
 * Rebuild the map from the journal, leaving out what has expired; a torn last line is cut off so
 * later appends start clean. Read in chunks: the journal's text is never held whole.
 */
function replay(file: string) {
  const data = new Map<string, string>()
  const expiries = new Map<string, number>()
  if (!existsSync(file)) return { data, expiries }
  const read = { bytes: 0 }
  for (const entry of journalEntries(file, read)) {
    if (entry.d) {
      data.delete(entry.k!)
      expiries.delete(entry.k!)
    }
    for (const { k, v, j, e } of writesOf(entry)) {
      // `j`: a value written as JSON (json mode); `v`: as a string.
      data.set(k, j === undefined ? v! : JSON.stringify(j))
      if (e === undefined) expiries.delete(k)
      else expiries.set(k, e)
    }
  }
  if (read.bytes < statSync(file).size) truncateSync(file, read.bytes)
  const now = Date.now()
  for (const [key, expiresAt] of expiries) {
    if (expiresAt > now) continue
    data.delete(key)
    expiries.delete(key)
  }
  return { data, expiries }
}

export function* readJournalOperations(dir: string): Generator<JournalOperation> {
  for (const entry of journalEntries(join(dir, FILE), { bytes: 0 })) yield* operationsOf(entry)
}

/** What a key and its value take in the journal, roughly (a line's JSON framing included). */
function sizeOf(key: string, value: string): number {
  return key.length + value.length + 16
}

function syncDir(dir: string) {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
