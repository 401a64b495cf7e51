/**
 * The event log dstack answers with a quote: every measurement extended into RTMR0–3, in order.
 * Replaying it — start from 48 zero bytes, fold `sha384(mr ‖ digest)` over each register's events —
 * must give the RTMRs the quote carries; then the log's runtime events (the app id, the compose
 * hash, the server's signing key) are as trustworthy as the quote itself.
 */
import { concat, equal, fromHex, sha384, toHex, u32le, utf8 } from './bytes'

export interface EventLogEntry {
  imr: number
  event_type: number
  digest: string
  event: string
  event_payload: string
}

/** dstack's runtime events (RTMR3): their digest is derived from their name and payload. */
export const DSTACK_EVENT_TYPE = 0x08000001

export class EventLogError extends Error {}

export function parseEventLog(input: string | unknown): EventLogEntry[] {
  let entries: unknown
  try {
    entries = typeof input === 'string' ? JSON.parse(input) : input
  } catch {
    throw new EventLogError('the event log is not JSON')
  }
  if (!Array.isArray(entries)) throw new EventLogError('the event log is not a list')
  return entries.map((entry, index) => {
    const e = entry as Partial<EventLogEntry>
    const shaped =
      Number.isInteger(e.imr) &&
      e.imr! >= 0 &&
      e.imr! <= 3 &&
      Number.isInteger(e.event_type) &&
      typeof e.digest === 'string' &&
      typeof e.event === 'string' &&
      typeof e.event_payload === 'string'
    if (!shaped) throw new EventLogError(`event ${index} is not an event`)
    return e as EventLogEntry
  })
}

/** The digest an event extends its register with; a runtime event's is recomputed and must agree. */
export async function eventDigest(entry: EventLogEntry): Promise<Uint8Array> {
  if (entry.event_type === DSTACK_EVENT_TYPE) {
    const computed = await sha384(
      concat(
        u32le(entry.event_type),
        utf8(':'),
        utf8(entry.event),
        utf8(':'),
        fromHex(entry.event_payload),
      ),
    )
    if (entry.digest && toHex(computed) !== entry.digest.toLowerCase()) {
      throw new EventLogError(
        `the digest of runtime event ${entry.event} does not match its payload`,
      )
    }
    return computed
  }
  if (!entry.digest) throw new EventLogError('a boot event has no digest')
  return fromHex(entry.digest)
}

/** RTMR0–3 as the log rebuilds them. */
export async function replayRtmrs(entries: EventLogEntry[]): Promise<Uint8Array[]> {
  const registers = [0, 1, 2, 3].map(() => new Uint8Array(48))
  for (const entry of entries) {
    const digest = await eventDigest(entry)
    const padded = digest.length < 48 ? concat(digest, new Uint8Array(48 - digest.length)) : digest
    registers[entry.imr] = await sha384(concat(registers[entry.imr], padded))
  }
  return registers
}

/** The payload of the last runtime event of that name in RTMR3, as hex, if any. */
export function runtimeEvent(entries: EventLogEntry[], name: string): string | undefined {
  const found = entries.filter((entry) => entry.imr === 3 && entry.event === name).at(-1)
  return found?.event_payload.toLowerCase()
}

export function sameRegisters(a: Uint8Array[], b: Uint8Array[]): boolean[] {
  return a.map((register, i) => equal(register, b[i]))
}
