/**
 * What an embedded store holds on disk for one key, read from its files the way someone with the
 * disk would: on SQLite, the database (read-only) and then its write-ahead log segments (newer);
 * on the journal, its last line for the key.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The stored envelope of `key` as JSON text, or null. */
export async function storedOnDisk(dataDir: string, key: string): Promise<string | null> {
  const dir = join(dataDir, 'store')
  const sqliteFile = join(dir, 'store.sqlite')
  if (!existsSync(sqliteFile)) return lastLineFor(join(dir, 'journal.log'), key) ?? null
  const { DatabaseSync } = await import('node:sqlite')
  const db = new DatabaseSync(sqliteFile, { readOnly: true })
  let value: string | null | undefined
  try {
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as
      { value: string } | undefined
    value = row?.value ?? null
  } finally {
    db.close()
  }
  const segments = readdirSync(dir)
    .filter((name) => /^log-\d+\.jsonl$/.test(name))
    .sort()
  for (const segment of segments) {
    const last = lastLineFor(join(dir, segment), key)
    if (last !== undefined) value = last
  }
  return value
}

/** The key's last write (null: removed) in a file of journal lines, or undefined if none. */
function lastLineFor(file: string, key: string): string | null | undefined {
  let value: string | null | undefined
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue
    const entry = JSON.parse(line)
    if (entry.d && entry.k === key) value = null
    for (const write of entry.t ?? (entry.d ? [] : [entry])) {
      // A value is JSON in the line (`j`); older journals held it as a string (`v`).
      if (write.k === key) value = write.v ?? JSON.stringify(write.j)
    }
  }
  return value
}
