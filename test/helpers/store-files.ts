/**
 * What an embedded store holds on disk for one key, read from its files the way someone with the
 * disk would: the SQLite database (read-only), or the journal's last line for the key.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The stored envelope of `key` as JSON text, or null. */
export async function storedOnDisk(dataDir: string, key: string): Promise<string | null> {
  const sqliteFile = join(dataDir, 'store', 'store.sqlite')
  if (existsSync(sqliteFile)) {
    const { DatabaseSync } = await import('node:sqlite')
    const db = new DatabaseSync(sqliteFile, { readOnly: true })
    try {
      const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as
        { value: string } | undefined
      return row?.value ?? null
    } finally {
      db.close()
    }
  }
  const lines = readFileSync(join(dataDir, 'store', 'journal.log'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .flatMap((entry) => entry.t ?? [entry])
    .filter((entry) => entry.k === key && !entry.d)
  // A value is JSON in the line (`j`); older journals held it as a string (`v`).
  const last = lines.at(-1)
  return last ? (last.v ?? JSON.stringify(last.j)) : null
}
