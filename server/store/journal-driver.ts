/**
 * An unstorage driver for the embedded store: every key lives in memory, and every change is one
 * line appended to a journal file before it is acknowledged. A `kill -9` at any instant loses
 * nothing acknowledged: the OS holds every completed append, and a torn last line (a write cut
 * short) is dropped when the journal is replayed at open. With `fsync` each batch of appends is
 * also flushed to the disk, which survives power loss. Appends queued while one is in flight go
 * out together in one write (group commit). The journal is rewritten compactly when it has grown
 * well past its live data.
 */
import {
  closeSync,
  ftruncateSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { defineDriver } from 'unstorage'

export interface JournalOptions {
  dir: string
  fsync?: boolean
  /** Rewrite the journal once it is this large and at least twice its live size. */
  compactAtBytes?: number
}

/** One line of the journal: a write (`v`) or a removal (`d`) of one key, or several together (`t`). */
interface Entry {
  k?: string
  v?: string
  d?: 1
  /** Writes that stand or fall together: one line, so a torn write loses all of them or none. */
  t?: Array<{ k: string; v: string }>
}

const FILE = 'journal.log'
const COMPACT_AT_BYTES = 64 * 1024 * 1024

export const journalDriver = defineDriver((options: JournalOptions) => {
  const file = join(options.dir, FILE)
  const data = replay(file)
  const compactAt = options.compactAtBytes ?? COMPACT_AT_BYTES
  let journalBytes = existsSync(file) ? statSync(file).size : 0
  let fd: number | undefined
  let pending: Array<{ line: string; apply: () => void; done: (error?: Error) => void }> = []
  let scheduled = false

  // Appends made in the same turn of the event loop go out as one synchronous write at the end of
  // that turn: no thread-pool round trip, and one write (and one fsync) for the whole batch.
  function flush() {
    scheduled = false
    const batch = pending
    pending = []
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
    if (journalBytes > compactAt && journalBytes > 2 * liveBytes(data)) compact()
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

  function append(entry: Entry, apply: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      pending.push({
        line: JSON.stringify(entry) + '\n',
        apply,
        done: (error) => (error ? reject(error) : resolve()),
      })
      if (!scheduled) {
        scheduled = true
        queueMicrotask(flush)
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
      for (const [k, v] of data) writeSync(out, JSON.stringify({ k, v }) + '\n')
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
    hasItem: (key: string) => data.has(key),
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) =>
      append({ k: key, v: value }, () => data.set(key, value)),
    setItems: (items: Array<{ key: string; value: string }>) =>
      append({ t: items.map(({ key, value }) => ({ k: key, v: value })) }, () => {
        for (const { key, value } of items) data.set(key, value)
      }),
    removeItem: (key: string) =>
      data.has(key) ? append({ k: key, d: 1 }, () => data.delete(key)) : undefined,
    getKeys: keysUnder,
    async clear(prefix: string) {
      for (const key of keysUnder(prefix)) await append({ k: key, d: 1 }, () => data.delete(key))
    },
    dispose() {
      if (pending.length) flush()
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
})

/** Rebuild the map from the journal; a torn last line is cut off so later appends start clean. */
function replay(file: string): Map<string, string> {
  const data = new Map<string, string>()
  if (!existsSync(file)) return data
  const text = readFileSync(file, 'utf8')
  let offset = 0
  while (offset < text.length) {
    const end = text.indexOf('\n', offset)
    if (end < 0) break
    const line = text.slice(offset, end)
    let entry: Entry
    try {
      entry = JSON.parse(line)
    } catch {
      throw new Error(
        `the journal ${file} is corrupt at byte ${Buffer.byteLength(text.slice(0, offset))}`,
      )
    }
    if (entry.t) for (const { k, v } of entry.t) data.set(k, v)
    else if (entry.d) data.delete(entry.k!)
    else data.set(entry.k!, entry.v!)
    offset = end + 1
  }
  const good = Buffer.byteLength(text.slice(0, offset))
  if (good < statSync(file).size) truncateSync(file, good)
  return data
}

function liveBytes(data: Map<string, string>): number {
  let total = 0
  for (const [key, value] of data) total += key.length + value.length + 16
  return total
}

function syncDir(dir: string) {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
