/**
 * Decoded views of some bytes (rule 9): what a reader gets back from them by one standard web
 * decoding. `unescapeView` undoes percent-encoding, JSON/JS string escapes and HTML character
 * references in one pass (any mix of them and of literal bytes, as a lenient decoder would);
 * `base64View` decodes every run of base64 or base64url characters at one alignment; `hexView`
 * every run of hex digits at one alignment. Each byte of a view carries the span of the original
 * bytes it came from, so whatever is found in a view is redacted in the original.
 */
import { NAMED_REFERENCES } from './named-references'

export interface View {
  bytes: Buffer
  /** Byte i of the view came from original bytes [from[i], to[i]); absent: the original itself. */
  from?: Int32Array
  to?: Int32Array
}

/** The original span behind view bytes [start, end). */
export function originalSpan(view: View, start: number, end: number): [number, number] {
  return view.from ? [view.from[start], view.to![end - 1]] : [start, end]
}

/** A view under construction: bytes decoded from spans of its parent, mapped to the original. */
class ViewBuilder {
  private readonly bytes: Uint8Array
  private readonly from: Int32Array
  private readonly to: Int32Array
  /** The parent's own map to the original (the identity when it is the original). */
  private readonly parentFrom: Int32Array | null
  private readonly parentTo: Int32Array | null
  length = 0

  constructor(parent: View, capacity: number) {
    this.bytes = new Uint8Array(capacity)
    this.from = new Int32Array(capacity)
    this.to = new Int32Array(capacity)
    this.parentFrom = parent.from ?? null
    this.parentTo = parent.to ?? null
  }

  /** A byte decoded from the parent's bytes [start, end). */
  push(byte: number, start: number, end: number) {
    const n = this.length++
    this.bytes[n] = byte
    this.from[n] = this.parentFrom === null ? start : this.parentFrom[start]
    this.to[n] = this.parentTo === null ? end : this.parentTo[end - 1]
  }

  view(): View {
    const n = this.length
    return {
      bytes: Buffer.from(this.bytes.buffer, this.bytes.byteOffset, n),
      from: this.from.subarray(0, n),
      to: this.to.subarray(0, n),
    }
  }
}

const PERCENT = 0x25
const BACKSLASH = 0x5c
const AMPERSAND = 0x26

/** Hex digit values by byte, -1 for any other byte. */
const HEX = new Int8Array(256).fill(-1)
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i
for (let i = 0; i < 6; i++) HEX[0x41 + i] = HEX[0x61 + i] = 10 + i

/** The value of `count` hex digits at `at`, or -1. */
function hexAt(src: Buffer, at: number, count: number): number {
  if (at + count > src.length) return -1
  let value = 0
  for (let i = 0; i < count; i++) {
    const digit = HEX[src[at + i]]
    if (digit < 0) return -1
    value = value * 16 + digit
  }
  return value
}

/** One escape read at an index: a raw byte or a code point (a UTF-16 unit for `\u`/`%u`). */
interface Escape {
  kind: 'byte' | 'unit' | 'point'
  value: number
  end: number
}

const SINGLE_ESCAPES: Record<number, number> = {
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x76: 0x0b, // \v
  0x30: 0x00, // \0
}

function readPercent(src: Buffer, i: number): Escape | null {
  const byte = hexAt(src, i + 1, 2)
  if (byte >= 0) return { kind: 'byte', value: byte, end: i + 3 }
  if (src[i + 1] === 0x75 || src[i + 1] === 0x55) {
    const unit = hexAt(src, i + 2, 4) // %uXXXX, as JavaScript's escape() writes
    if (unit >= 0) return { kind: 'unit', value: unit, end: i + 6 }
  }
  return null
}

function readBackslash(src: Buffer, i: number): Escape | null {
  const next = src[i + 1]
  if (next === undefined) return null
  if (next === 0x78) {
    // \xHH: a byte, as C, Python and (below 0x80) JavaScript read it.
    const byte = hexAt(src, i + 2, 2)
    return byte >= 0 ? { kind: 'byte', value: byte, end: i + 4 } : null
  }
  if (next === 0x75) {
    const unit = hexAt(src, i + 2, 4)
    if (unit >= 0) return { kind: 'unit', value: unit, end: i + 6 }
    if (src[i + 2] !== 0x7b) return null
    const close = src.indexOf(0x7d, i + 3)
    const digits = close - (i + 3)
    if (close < 0 || digits < 1 || digits > 6) return null
    const point = hexAt(src, i + 3, digits)
    return point >= 0 && point <= 0x10ffff ? { kind: 'point', value: point, end: close + 1 } : null
  }
  if (next >= 0x80) return null
  // \n and its kin, and any other character escaped as itself (\" \\ \/ \' …).
  return { kind: 'point', value: SINGLE_ESCAPES[next] ?? next, end: i + 2 }
}

function readReference(src: Buffer, i: number): Escape | null {
  if (src[i + 1] === 0x23) {
    const hex = src[i + 2] === 0x78 || src[i + 2] === 0x58
    let at = hex ? i + 3 : i + 2
    let point = 0
    const first = at
    for (; at < src.length && at - first < 8; at++) {
      const digit = hex ? HEX[src[at]] : src[at] >= 0x30 && src[at] <= 0x39 ? src[at] - 0x30 : -1
      if (digit < 0) break
      point = point * (hex ? 16 : 10) + digit
    }
    if (at === first || point > 0x10ffff) return null
    return { kind: 'point', value: point, end: src[at] === 0x3b ? at + 1 : at }
  }
  let at = i + 1
  while (at < src.length && at - i <= 20 && isLetter(src[at])) at++
  const name = src.toString('latin1', i + 1, at)
  const terminated = src[at] === 0x3b
  const known = NAMED_REFERENCES.get(terminated ? name + ';' : name)
  if (known === undefined) return null
  return { kind: 'point', value: known, end: terminated ? at + 1 : at }
}

const isLetter = (byte: number) => (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a

/** The three families of escapes, each decoded on its own (two in a row cover compositions). */
export type EscapeFamily = 'percent' | 'js' | 'html'

const FAMILIES: Record<EscapeFamily, { lead: number; read: typeof readPercent }> = {
  percent: { lead: PERCENT, read: readPercent },
  js: { lead: BACKSLASH, read: readBackslash },
  html: { lead: AMPERSAND, read: readReference },
}

/**
 * One family of escapes decoded wherever they stand among literal bytes: percent-encoding (`%XX`
 * either case, `%uXXXX`), JSON and JavaScript escapes (`\uXXXX` with surrogate pairs, `\u{…}`,
 * `\xXX`, `\n`…, `\"`), or HTML references (`&#65;`, `&#x41;`, names). Null when there is
 * nothing to decode.
 */
export function unescapeView(parent: View, family: EscapeFamily): View | null {
  const src = parent.bytes
  const { lead } = FAMILIES[family]
  if (src.indexOf(lead) < 0) return null
  const out = new ViewBuilder(parent, src.length)
  let decoded = false
  for (let i = 0; i < src.length;) {
    const escape = src[i] === lead ? decodeEscapeAt(src, i) : null
    if (!escape) {
      out.push(src[i], i, i + 1)
      i++
      continue
    }
    decoded = true
    for (const byte of escape.bytes) out.push(byte, i, escape.end)
    i = escape.end
  }
  return decoded ? out.view() : null
}

/** The escape that starts at `i` (of whichever family its first byte leads), as bytes. */
export function decodeEscapeAt(src: Buffer, i: number): { bytes: number[]; end: number } | null {
  const family = LEADS.get(src[i])
  if (!family) return null
  const { lead, read } = FAMILIES[family]
  const escape = read(src, i)
  if (!escape) return null
  if (escape.kind === 'byte') return { bytes: [escape.value], end: escape.end }
  let point = escape.value
  let end = escape.end
  if (escape.kind === 'unit' && point >= 0xd800 && point < 0xdc00) {
    // A UTF-16 unit: a high surrogate takes the low one escaped right after it.
    const low = src[end] === lead ? read(src, end) : null
    if (low?.kind === 'unit' && low.value >= 0xdc00 && low.value < 0xe000) {
      point = 0x10000 + ((point - 0xd800) << 10) + (low.value - 0xdc00)
      end = low.end
    }
  }
  return { bytes: utf8Of(point), end }
}

const LEADS = new Map<number, EscapeFamily>([
  [PERCENT, 'percent'],
  [BACKSLASH, 'js'],
  [AMPERSAND, 'html'],
])

/** A code point as UTF-8 (a lone surrogate as its three bytes). */
function utf8Of(cp: number): number[] {
  if (cp < 0x80) return [cp]
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
}

/** Base64 and base64url digit values by byte (both alphabets at once), -1 for any other byte. */
const BASE64 = new Int8Array(256).fill(-1)
for (let i = 0; i < 26; i++) BASE64[0x41 + i] = i
for (let i = 0; i < 26; i++) BASE64[0x61 + i] = 26 + i
for (let i = 0; i < 10; i++) BASE64[0x30 + i] = 52 + i
BASE64[0x2b] = BASE64[0x2d] = 62 // + -
BASE64[0x2f] = BASE64[0x5f] = 63 // / _

/** A run of digits of one alphabet: their indexes in the parent (line breaks left out). */
type Run = Int32Array

/**
 * Runs of at least `minDigits` digits. Base64 wrapped at a line length (MIME, PEM) stays one
 * run: a line break is skipped once the run is that long.
 */
function findRuns(src: Buffer, table: Int8Array, minDigits: number, wrapped: boolean): Run[] {
  const runs: Run[] = []
  const at = new Int32Array(src.length)
  let count = 0
  const close = () => {
    if (count >= minDigits) runs.push(at.slice(0, count))
    count = 0
  }
  for (let i = 0; i < src.length; i++) {
    const byte = src[i]
    if (table[byte] >= 0) at[count++] = i
    else if (!(wrapped && count >= 16 && (byte === 0x0a || byte === 0x0d))) close()
  }
  close()
  return runs
}

/** The runs of base64 digits that could hold `minDigits`, decoded from their `offset`-th digit. */
export function base64Views(parent: View, minDigits: number): View[] {
  const runs = findRuns(parent.bytes, BASE64, minDigits, true)
  if (runs.length === 0) return []
  const views: View[] = []
  for (let offset = 0; offset < 4; offset++) {
    let capacity = 0
    for (const run of runs) capacity += Math.max(0, Math.floor(((run.length - offset) * 3) / 4))
    if (capacity === 0) continue
    const out = new ViewBuilder(parent, capacity)
    for (const run of runs) decodeBase64Run(parent.bytes, run, offset, out)
    views.push(out.view())
  }
  return views
}

function decodeBase64Run(src: Buffer, run: Run, offset: number, out: ViewBuilder) {
  const last = run.length
  for (let k = offset; k + 1 < last; k += 4) {
    const a = BASE64[src[run[k]]]
    const b = BASE64[src[run[k + 1]]]
    out.push(((a << 2) | (b >> 4)) & 255, run[k], run[k + 1] + 1)
    if (k + 2 >= last) break
    const c = BASE64[src[run[k + 2]]]
    out.push(((b << 4) | (c >> 2)) & 255, run[k + 1], run[k + 2] + 1)
    if (k + 3 >= last) break
    out.push(((c << 6) | BASE64[src[run[k + 3]]]) & 255, run[k + 2], run[k + 3] + 1)
  }
}

/** The runs of hex digits that could hold `minDigits`, decoded in pairs from `offset`. */
export function hexViews(parent: View, minDigits: number): View[] {
  const runs = findRuns(parent.bytes, HEX, minDigits, false)
  if (runs.length === 0) return []
  const views: View[] = []
  for (let offset = 0; offset < 2; offset++) {
    let capacity = 0
    for (const run of runs) capacity += Math.max(0, (run.length - offset) >> 1)
    const out = new ViewBuilder(parent, capacity)
    for (const run of runs) {
      for (let k = offset; k + 1 < run.length; k += 2) {
        const byte = (HEX[parent.bytes[run[k]]] << 4) | HEX[parent.bytes[run[k + 1]]]
        out.push(byte, run[k], run[k + 1] + 1)
      }
    }
    views.push(out.view())
  }
  return views
}
