/**
 * A matcher per secret over escaped text (rule 9): finds every span that spells the secret when
 * each of its bytes is read either literally or as one escape — percent-encoding, JSON/JS string
 * escapes, HTML references, in any mix. Unlike a decoded view it needs no alignment: a decoder
 * reading left to right can swallow the first character of an encoded secret into an escape
 * that starts before it (`\` before `0…` reads as `\0`; `%` before `41…` as `%41`), while this
 * matcher starts a match at every position, whatever came before.
 *
 * It walks the text once, keeping the partial matches alive at each position (how many bytes of
 * the secret are spelled, and where that match started): each step either reads one literal byte
 * or one escape, from every live partial match.
 */
import { decodeEscapeAt } from './views'

const SPACE = 0x20
const PLUS = 0x2b
const LEAD = new Uint8Array(256)
LEAD[0x25] = LEAD[0x5c] = LEAD[0x26] = 1 // % \ &

/** Spans of `text` that spell `needle`; with `plusIsSpace`, a space and `+` are one byte. */
export function escapedSpans(
  text: Buffer,
  needle: Buffer,
  plusIsSpace: boolean,
): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  const n = needle.length
  const canon = (byte: number) => (plusIsSpace && byte === SPACE ? PLUS : byte)
  /** Partial matches waiting at a position: matched length → where it started. */
  const waiting = new Map<number, Map<number, number>>()
  const advance = (matched: number, start: number, bytes: ArrayLike<number>, end: number) => {
    if (matched + bytes.length > n) return
    for (let i = 0; i < bytes.length; i++) if (canon(bytes[i]) !== needle[matched + i]) return
    const next = matched + bytes.length
    if (next === n) {
      spans.push([start, end])
      return
    }
    let states = waiting.get(end)
    if (!states) waiting.set(end, (states = new Map()))
    if (!states.has(next)) states.set(next, start)
  }
  const first = needle[0]
  const one = [0]
  for (let at = 0; at < text.length; at++) {
    const states = waiting.get(at)
    const byte = text[at]
    const lead = LEAD[byte] === 1
    // The common case: nothing half-matched here, and this byte can start nothing.
    if (!states && !lead && canon(byte) !== first) continue
    const escape = lead ? decodeEscapeAt(text, at) : null
    one[0] = byte
    advance(0, at, one, at + 1)
    if (escape) advance(0, at, escape.bytes, escape.end)
    if (!states) continue
    waiting.delete(at)
    for (const [matched, start] of states) {
      advance(matched, start, one, at + 1)
      if (escape) advance(matched, start, escape.bytes, escape.end)
    }
  }
  return spans
}
