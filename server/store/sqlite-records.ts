/**
 * The embedded store's records in SQLite (node:sqlite, Node 22.13+ and 24): one table, `kv` — a
 * key, the record's envelope as JSON, its expiry (indexed, for sweeps) — read through SQLite's own
 * bounded page cache, so the server's memory does not grow with retained history. Changes arrive
 * in batches from the write-ahead log (write-log.ts), each batch one transaction that also records
 * which log segment it completes: a batch is in SQLite, or replayed from the log at the next open.
 * No fsync unless asked: the log is what acknowledges a write.
 */
import { closeSync, openSync, statSync } from 'node:fs'
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { JournalOperation } from './journal-lines'

export type SqliteModule = typeof import('node:sqlite')

/** SQLite's page cache for the records: what it keeps in memory at most. */
const CACHE_KIB = 16 * 1024
/** Expired records deleted per statement: one holds the event loop for a few ms at most. */
const SWEEP_BATCH = 1_000

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

export type SqliteRecords = ReturnType<typeof openSqliteRecords>

export function openSqliteRecords(sqlite: SqliteModule, file: string, fsync: boolean) {
  // Created owner-only, as the log is; SQLite gives its -wal and -shm files the same mode.
  closeSync(openSync(file, 'a', 0o600))
  const db = new sqlite.DatabaseSync(file)
  db.exec(`
    PRAGMA page_size = 16384;
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = ${fsync ? 'FULL' : 'OFF'};
    PRAGMA cache_size = -${CACHE_KIB};
    PRAGMA temp_store = MEMORY;
    CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires) WHERE expires IS NOT NULL;
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO meta (name, value) VALUES ('keys', 0), ('applied_segment', 0);
    CREATE TRIGGER IF NOT EXISTS kv_inserted AFTER INSERT ON kv
      BEGIN UPDATE meta SET value = value + 1 WHERE name = 'keys'; END;
    CREATE TRIGGER IF NOT EXISTS kv_deleted AFTER DELETE ON kv
      BEGIN UPDATE meta SET value = value - 1 WHERE name = 'keys'; END;
  `)
  const statements = prepare(db)
  const metaValue = (name: string) =>
    Number((statements.meta.get(name) as { value: number } | undefined)?.value ?? 0)

  return {
    get(key: string): string | null {
      return (statements.get.get(key) as { value: string } | undefined)?.value ?? null
    },
    /** Live keys under `prefix:`, up to the next character after ':' (';'). */
    keys(prefix: string, now: number): string[] {
      const rows = statements.keys.all(`${prefix}:`, `${prefix};`, now) as Array<{ key: string }>
      return rows.map((row) => row.key)
    },
    /** The last log segment whose changes are all here. */
    appliedSegment: () => metaValue('applied_segment'),
    /** Changes in order, and the segment they complete, in one transaction. */
    apply(changes: Iterable<JournalOperation>, segment: number) {
      inTransaction(db, () => {
        for (const change of changes) {
          if (change.op === 'remove') statements.remove.run(change.key)
          else statements.put.run(change.key, change.value, change.expiresAt ?? null)
        }
        statements.setMeta.run('applied_segment', segment)
      })
    },
    /** Whether a journal store's changes were imported here. */
    imported: () => metaValue('imported_journal') > 0,
    /** A journal store's changes, in one transaction that marks them imported. */
    importChanges(changes: Iterable<JournalOperation>) {
      inTransaction(db, () => {
        for (const change of changes) {
          if (change.op === 'remove') statements.remove.run(change.key)
          else statements.put.run(change.key, change.value, change.expiresAt ?? null)
        }
        statements.setMeta.run('imported_journal', Date.now())
      })
    },
    /** Delete records past their expiry, at most about `limit`; answers the keys deleted. */
    sweep(now: number, limit: number): string[] {
      const deleted: string[] = []
      while (deleted.length < limit) {
        const rows = statements.sweep.all(now, SWEEP_BATCH) as Array<{ key: string }>
        for (const row of rows) deleted.push(row.key)
        if (rows.length < SWEEP_BATCH) break
      }
      return deleted
    },
    count: () => metaValue('keys'),
    /** Bytes of live pages, and of the database's files. */
    sizes() {
      const pageSize = Number(scalar(db, 'PRAGMA page_size'))
      const pages = Number(scalar(db, 'PRAGMA page_count'))
      const free = Number(scalar(db, 'PRAGMA freelist_count'))
      return {
        liveBytes: (pages - free) * pageSize,
        fileBytes: sizeOf(file) + sizeOf(`${file}-wal`),
      }
    },
    close() {
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
      'DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires <= ? LIMIT ?) RETURNING key',
    ),
    meta: db.prepare('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)'),
  } satisfies Record<string, StatementSync>
}

function inTransaction(db: DatabaseSync, work: () => void) {
  db.exec('BEGIN IMMEDIATE')
  try {
    work()
    db.exec('COMMIT')
  } catch (error) {
    try {
      db.exec('ROLLBACK')
    } catch {
      /* SQLite rolled it back itself */
    }
    throw error
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
