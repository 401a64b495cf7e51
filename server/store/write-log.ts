/**
 * The write-ahead log in front of the SQLite records: each change is one line (journal-lines.ts)
 * appended to the current segment file before it is acknowledged. Lines of the same turn of the
 * event loop go out in one write (group commit), flushed to the disk too with `fsync`. A `kill -9`
 * at any instant loses nothing acknowledged (the OS holds every completed write); a write cut
 * short is cut off the segment, so later lines follow whole ones. Once a segment's changes are in
 * SQLite it is deleted: the log holds only what is not there yet.
 */
import {
  closeSync,
  fdatasyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'

const SEGMENT = /^log-(\d{10})\.jsonl$/
const segmentName = (n: number) => `log-${String(n).padStart(10, '0')}.jsonl`

/** The segments in `dir`, oldest first: their numbers and paths. */
export function listSegments(dir: string): Array<{ n: number; path: string }> {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    // The folder is gone (removed under a closing store): no segment is left.
    return []
  }
  return names
    .map((name) => SEGMENT.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ n: Number(match[1]), path: join(dir, match[0]) }))
    .sort((a, b) => a.n - b.n)
}

export interface WriteLog {
  /**
   * Append one line; resolves once it is written (rejects, leaving nothing, if it was not).
   * `written` runs as soon as it is, before any other code.
   */
  append(line: string, written?: () => void): Promise<void>
  /** Lines accepted but not yet written. */
  readonly pending: number
  /** The segment lines go to now. */
  readonly segment: number
  /** Write what is pending, at once. */
  flushNow(): void
  /** Close the current segment and start the next; answers the number of the closed one. */
  rotate(): number
  /** Delete the segments up to `n` (their changes are in SQLite). */
  removeThrough(n: number): void
  /** Bytes of every segment. */
  bytes(): number
  close(): void
}

export function openWriteLog(
  dir: string,
  /** `onFlushed`: after each batch is written (and its `written` callbacks ran). */
  options: { firstSegment: number; fsync?: boolean; onFlushed?: () => void },
): WriteLog {
  let segment = options.firstSegment
  let fd: number | undefined
  let segmentBytes = 0
  let closedBytes = 0
  let pending: Array<{ line: string; written?: () => void; done: (error?: Error) => void }> = []
  let scheduled = false

  function open(): number {
    fd ??= openSync(join(dir, segmentName(segment)), 'a', 0o600)
    return fd
  }

  function flush() {
    scheduled = false
    if (!pending.length) return
    const batch = pending
    pending = []
    const bytes = Buffer.from(batch.map((item) => item.line).join(''))
    try {
      const out = open()
      let offset = 0
      while (offset < bytes.length) offset += writeSync(out, bytes, offset)
      if (options.fsync) fdatasyncSync(out)
      segmentBytes += bytes.length
    } catch (error) {
      // A write cut short (a full disk, a file size limit) must not leave a torn line for the
      // next ones to follow.
      try {
        if (fd !== undefined) ftruncateSync(fd, segmentBytes)
      } catch {
        if (fd !== undefined) closeSync(fd)
        fd = undefined
      }
      for (const item of batch) item.done(error as Error)
      return
    }
    for (const item of batch) {
      item.written?.()
      item.done()
    }
    options.onFlushed?.()
  }

  return {
    append(line, written) {
      return new Promise((resolve, reject) => {
        pending.push({
          line: line + '\n',
          written,
          done: (error) => (error ? reject(error) : resolve()),
        })
        if (!scheduled) {
          scheduled = true
          // At the end of the event loop's turn: the appends of every callback of the turn in
          // one write (journal-driver.ts).
          setImmediate(flush)
        }
      })
    },
    get pending() {
      return pending.length
    },
    get segment() {
      return segment
    },
    flushNow: flush,
    rotate() {
      flush()
      if (fd !== undefined) closeSync(fd)
      fd = undefined
      closedBytes += segmentBytes
      segmentBytes = 0
      return segment++
    },
    removeThrough(n) {
      for (const old of listSegments(dir)) {
        if (old.n > n) continue
        closedBytes -= sizeOf(old.path)
        rmSync(old.path, { force: true })
      }
      closedBytes = Math.max(0, closedBytes)
    },
    bytes: () => closedBytes + segmentBytes,
    close() {
      flush()
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
