/**
 * The embedded store on SQLite, where Node has node:sqlite (22.13+, 24): records on disk
 * (sqlite-records.ts), so memory does not grow with retained history, written through a
 * write-ahead log (write-log.ts) so a write costs what it costs the journal — one appended line —
 * instead of a SQLite commit (≈ 0.1 ms of CPU each).
 *
 * A change is acknowledged once its line is in the log; it is then also held in memory (the
 * overlay) until it is in SQLite: every APPLY_EVERY_MS, or sooner once APPLY_AT changes wait, the
 * overlay goes into SQLite as one transaction, the log moves to a new segment, and the old ones
 * are deleted. Reads look in the overlay first. At open, the segments SQLite does not have yet are
 * replayed and applied. So memory holds at most a fraction of a second of writes, and a `kill -9`
 * at any instant loses nothing acknowledged.
 */
import { existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import type { EmbeddedDriver, EmbeddedWrite } from './embedded-driver'
import {
  journalEntries,
  operationsOf,
  removalJson,
  writeLine,
  type JournalOperation,
} from './journal-lines'
import { openSqliteRecords, type SqliteModule } from './sqlite-records'
import { listSegments, openWriteLog } from './write-log'

export { loadSqlite } from './sqlite-records'

export const SQLITE_FILE = 'store.sqlite'
/** Changes waiting in memory past which they go into SQLite at once. */
const APPLY_AT = 2_000
/** Changes waiting past which writes are refused: SQLite does not take them (a full disk). */
const MAX_WAITING = 50_000
/** At the latest, changes go into SQLite this long after they were written. */
const APPLY_EVERY_MS = 200
/**
 * Records read from SQLite lately, kept for the next reads (the token and permit each request
 * reads): at most this many, the oldest read dropped first.
 */
const READ_CACHE_RECORDS = 4_096

export interface SqliteDriverOptions {
  dir: string
  fsync?: boolean
  /** The changes of a journal store found in `dir`, applied once (then its file is renamed). */
  importJournal?: () => Iterable<JournalOperation>
}

/** A write refused while SQLite takes none of the changes waiting for it. */
export class StoreBackloggedError extends Error {
  constructor() {
    super('the store cannot write its records (a full disk?): writes are refused until it can')
  }
}

interface Pending {
  value: string | null
  expiresAt?: number
}

export function openSqliteDriver(
  sqlite: SqliteModule,
  options: SqliteDriverOptions,
): EmbeddedDriver {
  const records = openSqliteRecords(sqlite, join(options.dir, SQLITE_FILE), options.fsync === true)
  /** The last attempt to put the changes into SQLite failed. */
  let applyFailing = false
  /** Changes in the log, not yet in SQLite (null: removed). */
  const overlay = new Map<string, Pending>()
  /** Keys that log lines not yet written change (a read of one writes them first: journal-driver.ts). */
  const unwritten = new Set<string>()
  const settle = (key: string) => {
    if (log.pending && unwritten.has(key)) log.flushNow()
  }
  /** Records as SQLite holds them, read lately (null: absent). Changes reach it when applied. */
  const readCache = new Map<string, string | null>()
  const cacheRead = (key: string, value: string | null) => {
    readCache.set(key, value)
    if (readCache.size > READ_CACHE_RECORDS) readCache.delete(readCache.keys().next().value!)
  }
  const note = (change: JournalOperation) =>
    overlay.set(
      change.key,
      change.op === 'remove'
        ? { value: null }
        : { value: change.value, expiresAt: change.expiresAt },
    )

  importJournalOnce(options, records)
  // Recovery: segments already applied are deleted; the others are replayed, then applied.
  const applied = records.appliedSegment()
  const segments = listSegments(options.dir)
  for (const segment of segments) {
    if (segment.n <= applied) continue
    for (const entry of journalEntries(segment.path, { bytes: 0 })) {
      for (const change of operationsOf(entry)) note(change)
    }
  }
  const log = openWriteLog(options.dir, {
    firstSegment: Math.max(applied, ...segments.map((segment) => segment.n)) + 1,
    fsync: options.fsync,
    // Right after a batch is written, nothing else is pending: the moment to apply, when due.
    onFlushed: () => {
      unwritten.clear()
      if (overlay.size >= APPLY_AT) applyNow()
    },
  })
  log.removeThrough(applied)
  if (overlay.size) applyNow()

  /** Put what the overlay holds into SQLite, in one transaction with the log segment it ends. */
  function applyNow() {
    // Lines accepted and not yet written belong to the segment in use: not now.
    if (!overlay.size || log.pending) return
    const through = log.segment
    const changes = [...overlay].map(([key, change]) =>
      change.value === null
        ? ({ op: 'remove', key } as const)
        : ({ op: 'put', key, value: change.value, expiresAt: change.expiresAt } as const),
    )
    try {
      records.apply(changes, through)
    } catch {
      // The changes stay in the log and in memory; the next round tries again. Meanwhile writes
      // are refused: the store is not taking them (a full disk, a file size limit).
      applyFailing = true
      return
    }
    applyFailing = false
    for (const change of changes) readCache.delete(change.key)
    overlay.clear()
    log.rotate()
    log.removeThrough(through)
  }
  const applier = setInterval(applyNow, APPLY_EVERY_MS)
  applier.unref()

  const write = (line: string, changes: JournalOperation[]) => {
    // SQLite takes no more (a full disk): writes are refused, not held in memory.
    if (applyFailing || overlay.size >= MAX_WAITING) {
      return Promise.reject(new StoreBackloggedError())
    }
    for (const change of changes) unwritten.add(change.key)
    return log.append(line, () => {
      for (const change of changes) note(change)
    })
  }
  const put = ({ key, value, options: opts }: EmbeddedWrite): JournalOperation => ({
    op: 'put',
    key,
    value,
    expiresAt: opts?.expiresAt,
  })

  return {
    getItem(key) {
      settle(key)
      const pending = overlay.get(key)
      if (pending) return pending.value
      const cached = readCache.get(key)
      if (cached !== undefined) return cached
      const value = records.get(key)
      cacheRead(key, value)
      return value
    },
    setItem: (key, value, opts = {}) =>
      write(writeLine(key, value, opts.expiresAt), [put({ key, value, options: opts })]),
    setItems: (items) =>
      write(
        `{"t":[${items.map(({ key, value, options: opts }) => writeLine(key, value, opts?.expiresAt)).join(',')}]}`,
        items.map(put),
      ),
    removeItem: (key) => write(removalJson(key), [{ op: 'remove', key }]),
    getKeys(prefix) {
      const clean = prefix.replace(/:+$/, '')
      for (const key of unwritten) if (!clean || key.startsWith(`${clean}:`)) settle(key)
      const now = Date.now()
      const keys = new Set(records.keys(clean, now))
      for (const [key, change] of overlay) {
        if (!key.startsWith(`${clean}:`)) continue
        const live = change.value !== null && (change.expiresAt ?? Infinity) > now
        if (live) keys.add(key)
        else keys.delete(key)
      }
      return [...keys]
    },
    sweepExpired(now = Date.now(), limit = Number.POSITIVE_INFINITY) {
      const swept = records.sweep(now, limit)
      for (const key of swept) readCache.delete(key)
      return swept.length
    },
    sizes() {
      // Rare (/ready): what waits in memory goes into SQLite first, so the counts are whole.
      applyNow()
      const { liveBytes, fileBytes } = records.sizes()
      return { journalBytes: fileBytes + log.bytes(), liveBytes, keys: records.count() }
    },
    dispose() {
      clearInterval(applier)
      log.flushNow()
      applyNow()
      log.close()
      records.close()
    },
  }
}

/**
 * A journal store's changes, applied once the first time this folder opens on SQLite; its file
 * is then renamed (kept beside, never read again).
 */
function importJournalOnce(
  options: SqliteDriverOptions,
  records: ReturnType<typeof openSqliteRecords>,
) {
  const journal = join(options.dir, 'journal.log')
  if (!options.importJournal || !existsSync(journal)) return
  // One transaction: a crash before its commit imports again from the start, after it renames.
  if (!records.imported()) records.importChanges(options.importJournal())
  renameSync(journal, `${journal}.imported`)
}
