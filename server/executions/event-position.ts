/**
 * Where a reader of an execution's events stands: how many characters of stdout and of stderr and
 * how many calls it has received. Every event carries the position after it as its SSE `id`
 * (`<stdout>.<stderr>.<calls>`); a client that reconnects sends it back as Last-Event-ID and gets
 * only what follows — whether the rest comes from the live feed or, once the execution has ended
 * elsewhere, from its record, whose output is the same text in fewer, larger chunks.
 */
import type { LiveEvent } from './live'

export interface EventPosition {
  stdout: number
  stderr: number
  calls: number
}

export const START: EventPosition = { stdout: 0, stderr: 0, calls: 0 }

const FORMAT = /^(\d{1,9})\.(\d{1,9})\.(\d{1,6})$/

/** A Last-Event-ID; anything else (absent, foreign, malformed) reads from the start. */
export function parseEventPosition(id: string | undefined): EventPosition {
  const match = id ? FORMAT.exec(id.trim()) : null
  if (!match) return START
  return { stdout: Number(match[1]), stderr: Number(match[2]), calls: Number(match[3]) }
}

export function formatEventPosition(position: EventPosition): string {
  return `${position.stdout}.${position.stderr}.${position.calls}`
}

/**
 * `event` as a reader at `seen` still needs it — whole, cut to its unread end, or nothing — and
 * where `event` leaves the stream.
 */
export function unread(
  event: LiveEvent,
  at: EventPosition,
  seen: EventPosition,
): { event: LiveEvent | null; after: EventPosition } {
  switch (event.type) {
    case 'stdout':
    case 'stderr': {
      const stream = event.type
      const after = { ...at, [stream]: at[stream] + event.data.length }
      const skip = seen[stream] - at[stream]
      if (skip >= event.data.length) return { event: null, after }
      return { event: skip > 0 ? { ...event, data: event.data.slice(skip) } : event, after }
    }
    case 'call': {
      const after = { ...at, calls: at.calls + 1 }
      return { event: at.calls < seen.calls ? null : event, after }
    }
    default:
      return { event, after: at }
  }
}
