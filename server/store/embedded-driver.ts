/**
 * What the embedded store keeps its records in, and which one it opens. Two engines behind one
 * interface: SQLite (records on disk, a bounded page cache in memory: history does not grow the
 * heap) where this Node has node:sqlite (22.13+, 24), and the journal (every record in the heap,
 * each change a line appended to a file) on older Nodes or when asked for. A folder that holds a
 * journal opens on SQLite by importing it once.
 */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { oldGenerationLimit } from './heap-limit'
import { journalDriver, readJournalOperations } from './journal-driver'
import { loadSqlite, openSqliteDriver, SQLITE_FILE } from './sqlite-driver'

export interface EmbeddedWriteOptions {
  expiresAt?: number
}

export interface EmbeddedWrite {
  key: string
  value: string
  options?: EmbeddedWriteOptions
}

export interface EmbeddedDriver {
  /** The record's envelope (JSON), or null. */
  getItem(key: string): string | null
  setItem(key: string, value: string, options?: EmbeddedWriteOptions): Promise<void>
  /** Several writes that stand or fall together. */
  setItems(items: EmbeddedWrite[]): Promise<void>
  removeItem(key: string): Promise<void> | undefined
  /** Keys under `prefix:` (expired ones may be among them until a sweep). */
  getKeys(prefix: string): string[]
  /** Forget records past their expiry, at most about `limit` of them; answers how many. */
  sweepExpired(now?: number, limit?: number): number
  /** Bytes on disk and of live data, and the number of keys (for /ready). */
  sizes(): { journalBytes: number; liveBytes: number; keys: number }
  dispose(): void
}

export type EmbeddedEngine = 'auto' | 'sqlite' | 'journal'

export interface OpenEmbeddedOptions {
  /** The store's folder (`<NITRO_DATA_DIR>/store`). */
  dir: string
  fsync?: boolean
  engine?: EmbeddedEngine
}

/**
 * How much of the heap the journal's records may take, as a share of the old generation's limit
 * (heap-limit.ts): replay needs about twice the journal's size in memory, and the server needs
 * the rest to serve.
 */
const JOURNAL_HEAP_SHARE = 0.5
/** Memory a journal's record takes in the heap, per byte of its line (measured: ≈ 1.8). */
const HEAP_PER_JOURNAL_BYTE = 2

export async function openEmbeddedDriver(
  options: OpenEmbeddedOptions,
): Promise<{ driver: EmbeddedDriver; engine: 'sqlite' | 'journal' }> {
  const engine = options.engine ?? 'auto'
  const sqlite = engine === 'journal' ? null : await loadSqlite()
  const hasSqliteFile = existsSync(join(options.dir, SQLITE_FILE))
  if (!sqlite && (engine === 'sqlite' || hasSqliteFile)) {
    throw new Error(
      `${hasSqliteFile ? 'holds a SQLite store, but' : 'NITRO_STORE_ENGINE=sqlite, but'} this Node (${process.version}) has no node:sqlite: run Node 22.13+ or 24`,
    )
  }
  if (sqlite) {
    const driver = openSqliteDriver(sqlite, {
      dir: options.dir,
      fsync: options.fsync,
      importJournal: () => readJournalOperations(options.dir),
    })
    return { driver, engine: 'sqlite' }
  }
  assertJournalFitsHeap(options.dir)
  const driver = journalDriver({
    dir: options.dir,
    fsync: options.fsync,
    json: true,
    // Past this, writes are refused (503) instead of the heap running out.
    maxJournalBytes: maxJournalBytes(),
  })
  return { driver: driver as unknown as EmbeddedDriver, engine: 'journal' }
}

/** The largest journal this process's heap can load (and so may write). */
function maxJournalBytes(): number {
  return (oldGenerationLimit() * JOURNAL_HEAP_SHARE) / HEAP_PER_JOURNAL_BYTE
}

/**
 * A journal larger than the heap can replay is refused with its size and the ways out, rather
 * than aborting with "JavaScript heap out of memory" at every restart.
 */
function assertJournalFitsHeap(dir: string) {
  const journal = join(dir, 'journal.log')
  if (!existsSync(journal)) return
  const { size } = statSync(journal)
  const limit = oldGenerationLimit()
  const needed = size * HEAP_PER_JOURNAL_BYTE
  // Writes stop at the bound, give or take the batch in flight: a little slack here.
  if (size > maxJournalBytes() * 1.1) {
    const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`
    throw new Error(
      `its journal (${mb(size)}) needs about ${mb(needed)} of heap to load, more than this process can spare (heap limit ${mb(limit)}): run on Node 22.13+ or 24 (records on disk, the journal imported once), or raise the heap (NODE_OPTIONS=--max-old-space-size=…)`,
    )
  }
}
