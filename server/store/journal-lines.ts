/**
 * The journal's line format, shared by the journal engine and SQLite's write-ahead log: one JSON
 * object per line — a write (`j`: the record's envelope as JSON, `e`: its expiry), a removal
 * (`d`), or several writes that stand or fall together (`t`) — and how to read them back, a chunk
 * at a time, stopping at a torn last line.
 */
import { closeSync, openSync, readSync } from 'node:fs'

/**
 * One line of the journal: a write (`v`, expiring at `e`) or a removal (`d`) of one key, or
 * several writes together (`t`).
 */
export interface Entry {
  k?: string
  v?: string
  j?: unknown
  e?: number
  d?: 1
  /** Writes that stand or fall together: one line, so a torn write loses all of them or none. */
  t?: Array<{ k: string; v?: string; j?: unknown; e?: number }>
}

/** One change a journal line made: a record written, or removed. */
export type JournalOperation =
  { op: 'put'; key: string; value: string; expiresAt?: number } | { op: 'remove'; key: string }

/**
 * The journal in `dir`, change by change, in order: for an import into another engine, which
 * replays them without holding the records in the heap.
 */
/** A write as a line's JSON: the value embedded as JSON (`json`) or as a string. */
export function writeLine(k: string, v: string, e: number | undefined, json = true): string {
  return `{"k":${JSON.stringify(k)},${json ? `"j":${v}` : `"v":${JSON.stringify(v)}`}${e === undefined ? '' : `,"e":${e}`}}`
}

export const removalJson = (k: string) => `{"k":${JSON.stringify(k)},"d":1}`

export const writesOf = (entry: Entry) =>
  entry.t ?? (entry.d ? [] : [entry as { k: string; v?: string; j?: unknown; e?: number }])

const NEWLINE = 0x0a
const CHUNK_BYTES = 1024 * 1024

/**
 * The journal's entries, line by line, read 1 MiB at a time; `read.bytes` counts the bytes of
 * whole lines read. A line that is not JSON is corruption, unless it is the torn last one (no
 * newline after it), which ends the journal.
 */
export function* journalEntries(file: string, read: { bytes: number }): Generator<Entry> {
  const fd = openSync(file, 'r')
  try {
    const chunk = Buffer.alloc(CHUNK_BYTES)
    let carry = Buffer.alloc(0)
    for (;;) {
      const size = readSync(fd, chunk, 0, chunk.length, null)
      if (size === 0) return
      const bytes = carry.length
        ? Buffer.concat([carry, chunk.subarray(0, size)])
        : chunk.subarray(0, size)
      let start = 0
      for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
        let entry: Entry
        try {
          entry = JSON.parse(bytes.toString('utf8', start, end))
        } catch {
          throw new Error(`the journal ${file} is corrupt at byte ${read.bytes}`)
        }
        read.bytes += end - start + 1
        start = end + 1
        yield entry
      }
      carry = Buffer.from(bytes.subarray(start))
    }
  } finally {
    closeSync(fd)
  }
}

/** The changes one entry makes, in order. */
export function* operationsOf(entry: Entry): Generator<JournalOperation> {
  if (entry.d) yield { op: 'remove', key: entry.k! }
  for (const { k, v, j, e } of writesOf(entry)) {
    yield { op: 'put', key: k, value: j === undefined ? v! : JSON.stringify(j), expiresAt: e }
  }
}
