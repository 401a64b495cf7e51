/**
 * The embedded store on SQLite (node:sqlite, Node 22.13+ and 24): records live on disk, read
 * through SQLite's own bounded page cache, so the server's memory does not grow with retained
 * history (the journal keeps every record in the heap). One table, `kv`: a key, the record's
 * envelope as JSON, and its expiry (indexed, for sweeps).
 *
 * Durability is the journal's: writes made in the same turn of the event loop are one
 * transaction, committed before they are acknowledged; in WAL mode a committed transaction
 * survives `kill -9` at any instant (the OS holds it), and a torn one is rolled back at open. With
 * `fsync` every commit is also flushed to the disk (synchronous = FULL), which survives power loss.
 */
import { closeSync, existsSync, openSync, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { EmbeddedDriver, EmbeddedWrite } from './embedded-driver'
import type { JournalOperation } from './journal-driver'

export const SQLITE_FILE = 'store.sqlite'
/** SQLite's page cache for this database: what it keeps in memory at most. */
const CACHE_KIB = 16 * 1024
/** Expired records deleted per statement: one holds the event loop for a few ms at most. */
const SWEEP_BATCH = 1_000

type SqliteModule = typeof import('node:sqlite')

/**
 * node:sqlite, or null where this Node has none (20, 22 before 22.13). Its one-time
 * "experimental" warning (Node 22) is not printed: the logs are for operators, and the module's
 * stability is this project's to test.
 */
export async function loadSqlite(): Promise<SqliteModule | null> {
  const emitWarning = process.emitWarning
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String((warning as Error)?.message ?? warning).includes('SQLite is an experimental')) return
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest)
  }) as typeof process.emitWarning
  try {
    return (await import('node:sqlite')) as SqliteModule
  } catch {
    return null
  } finally {
    process.emitWarning = emitWarning
  }
}

export interface SqliteDriverOptions {
  dir: string
  fsync?: boolean
  /** The changes of a journal store found in `dir`, replayed once (then its file is renamed). */
  importJournal?: () => Iterable<JournalOperation>
}

export function openSqliteDriver(
  sqlite: SqliteModule,
  options: SqliteDriverOptions,
): EmbeddedDriver {
  const file = join(options.dir, SQLITE_FILE)
  // Created owner-only, as the journal is; SQLite gives its -wal and -shm files the same mode.
  closeSync(openSync(file, 'a', 0o600))
  const db = new sqlite.DatabaseSync(file)
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = ${options.fsync ? 'FULL' : 'NORMAL'};
    PRAGMA cache_size = -${CACHE_KIB};
    PRAGMA temp_store = MEMORY;
    CREATE TABLE IF NOT EXISTS kv (key TEXT NOT NULL UNIQUE, value TEXT NOT NULL, expires INTEGER);
    CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires) WHERE expires IS NOT NULL;
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO meta (name, value) VALUES ('keys', 0);
    CREATE TRIGGER IF NOT EXISTS kv_inserted AFTER INSERT ON kv
      BEGIN UPDATE meta SET value = value + 1 WHERE name = 'keys'; END;
    CREATE TRIGGER IF NOT EXISTS kv_deleted AFTER DELETE ON kv
      BEGIN UPDATE meta SET value = value - 1 WHERE name = 'keys'; END;
  `)
  const statements = prepare(db)
  if (options.importJournal) importOnce(db, statements, options)

  let pending: Array<{ run: () => void; done: (error?: Error) => void }> = []
  let scheduled = false

  // Writes made in the same turn go out as one transaction at the end of it (group commit).
  function flush() {
    scheduled = false
    const batch = pending
    pending = []
    try {
      db.exec('BEGIN IMMEDIATE')
      try {
        for (const item of batch) item.run()
        db.exec('COMMIT')
      } catch (error) {
        rollback(db)
        throw error
      }
    } catch (error) {
      for (const item of batch) item.done(error as Error)
      return
    }
    for (const item of batch) item.done()
  }

  function write(run: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      pending.push({ run, done: (error) => (error ? reject(error) : resolve()) })
      if (!scheduled) {
        scheduled = true
        queueMicrotask(flush)
      }
    })
  }

  const put = ({ key, value, options: opts }: EmbeddedWrite) =>
    statements.put.run(key, value, opts?.expiresAt ?? null)

  return {
    getItem(key) {
      const row = statements.get.get(key) as { value: string } | undefined
      return row?.value ?? null
    },
    setItem: (key, value, opts = {}) => write(() => put({ key, value, options: opts })),
    setItems: (items) => write(() => items.forEach(put)),
    removeItem: (key) => write(() => statements.remove.run(key)),
    getKeys(prefix) {
      const clean = prefix.replace(/:+$/, '')
      // Keys under `prefix:`, up to the next character after ':' (';').
      const rows = statements.keys.all(`${clean}:`, `${clean};`, Date.now()) as Array<{
        key: string
      }>
      return rows.map((row) => row.key)
    },
    sweepExpired(now = Date.now(), limit = Number.POSITIVE_INFINITY) {
      let dropped = 0
      while (dropped < limit) {
        const changes = Number(statements.sweep.run(now, SWEEP_BATCH).changes)
        dropped += changes
        if (changes < SWEEP_BATCH) break
      }
      return dropped
    },
    sizes() {
      const pageSize = Number(scalar(db, 'PRAGMA page_size'))
      const pages = Number(scalar(db, 'PRAGMA page_count'))
      const free = Number(scalar(db, 'PRAGMA freelist_count'))
      const keys = Number((statements.count.get() as { value: number }).value)
      const onDisk = sizeOf(file) + sizeOf(`${file}-wal`)
      return { journalBytes: onDisk, liveBytes: (pages - free) * pageSize, keys }
    },
    dispose() {
      if (pending.length) flush()
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
      db.close()
    },
  }
}

function prepare(db: DatabaseSync) {
  return {
    get: db.prepare('SELECT value FROM kv WHERE key = ?'),
    put: db.prepare(
      'INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires',
    ),
    remove: db.prepare('DELETE FROM kv WHERE key = ?'),
    keys: db.prepare(
      'SELECT key FROM kv WHERE key >= ? AND key < ? AND (expires IS NULL OR expires > ?)',
    ),
    sweep: db.prepare(
      'DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv WHERE expires <= ? LIMIT ?)',
    ),
    count: db.prepare("SELECT value FROM meta WHERE name = 'keys'"),
    flag: db.prepare('SELECT value FROM meta WHERE name = ?'),
    setFlag: db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)'),
  } satisfies Record<string, StatementSync>
}

/**
 * A journal store's records, imported in one transaction the first time this folder opens on
 * SQLite; its journal is then renamed (kept beside, never read again). A crash mid-way imports
 * again from the start; one after the commit only renames.
 */
function importOnce(
  db: DatabaseSync,
  statements: ReturnType<typeof prepare>,
  options: SqliteDriverOptions,
) {
  const journal = join(options.dir, 'journal.log')
  if (!existsSync(journal)) return
  if (!statements.flag.get('imported_journal')) {
    db.exec('BEGIN IMMEDIATE')
    try {
      for (const change of options.importJournal!()) {
        if (change.op === 'remove') statements.remove.run(change.key)
        else statements.put.run(change.key, change.value, change.expiresAt ?? null)
      }
      statements.setFlag.run('imported_journal', Date.now())
      db.exec('COMMIT')
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    } catch (error) {
      rollback(db)
      throw error
    }
  }
  renameSync(journal, `${journal}.imported`)
}

/** Roll back what is left of a transaction (SQLite may have rolled it back itself). */
function rollback(db: DatabaseSync) {
  try {
    db.exec('ROLLBACK')
  } catch {
    /* no transaction was open */
  }
}

function scalar(db: DatabaseSync, sql: string): unknown {
  const row = db.prepare(sql).get() as Record<string, unknown> | undefined
  return row ? Object.values(row)[0] : undefined
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
