/**
 * Redaction of the owners' secrets from everything the agent reads (rule 9): one rule, not a list
 * of forms. A span is redacted when it decodes to a secret in a decoded view of the text: the text
 * itself, its percent-decoding / JSON and JS unescaping / HTML reference decoding, its base64 and
 * base64url at every alignment, its hex, and each of these applied to the result of another
 * (views.ts). In every view, a matcher per secret also finds it spelled with any mix of literal
 * bytes and escapes, from any start (escape-matcher.ts). A secret is matched as UTF-8
 * and as Latin-1 bytes, with a space and `+` taken as the same byte (form encoding). Raw bytes are
 * redacted before they are encoded for the agent; JSON after parsing, every string and key, in
 * order. What this cannot catch (a secret reversed, split, encrypted) is in docs/security.md.
 */
import { escapedSpans } from './redaction/escape-matcher'
import {
  base64Views,
  hexViews,
  originalSpan,
  unescapeView,
  type EscapeFamily,
  type View,
} from './redaction/views'

const MARK = '[REDACTED]'
const MARK_BYTES = Buffer.from(MARK)
/** Shorter values would blank out ordinary text: a secret is expected to be longer. */
const MIN_LENGTH = 4
/**
 * Long texts are searched in windows of this size that overlap by more than any encoded secret
 * is long, so that views (up to ≈ 9 bytes of bookkeeping per byte) stay small.
 */
const WINDOW_BYTES = 1 << 20
const ESCAPE_FAMILIES: EscapeFamily[] = ['percent', 'js', 'html']
const SPACE = 0x20
const PLUS = 0x2b

export interface Redactor {
  text(text: string): string
  /** Raw bytes, before they are encoded for the agent. */
  bytes(bytes: Buffer): Buffer
  /** Parsed JSON: every string and key. */
  json(value: unknown): unknown
}

export const NO_REDACTION: Redactor = {
  text: (text) => text,
  bytes: (bytes) => bytes,
  json: (value) => value,
}

export function createRedactor(values: Iterable<string>): Redactor {
  const finder = SecretFinder.of(values)
  if (!finder) return NO_REDACTION
  const text = (input: string) => {
    const raw = Buffer.from(input, 'utf8')
    const redacted = finder.redact(raw, true)
    return redacted === raw ? input : redacted.toString('utf8')
  }
  return {
    text,
    bytes: (input) => finder.redact(input, false),
    json: (value) => mapStrings(value, text),
  }
}

class SecretFinder {
  /** Views shorter than the shortest encoded secret are not decoded. */
  private readonly minBase64: number
  private readonly minHex: number
  private readonly overlap: number

  private constructor(
    private readonly needles: Buffer[],
    /** A secret holds a space: `+` in a view may stand for it. */
    private readonly spaceIsPlus: boolean,
  ) {
    const shortest = Math.min(...needles.map((needle) => needle.length))
    const longest = Math.max(...needles.map((needle) => needle.length))
    this.minBase64 = Math.floor((shortest * 4) / 3)
    this.minHex = shortest * 2
    // The longest form of a secret: 12 bytes per byte (`\u0025` + two digits, then base64).
    this.overlap = Math.max(1 << 17, longest * 16)
  }

  static of(values: Iterable<string>): SecretFinder | null {
    const forms = new Map<string, Buffer>()
    let spaceIsPlus = false
    for (const value of values) {
      if (!value || value.length < MIN_LENGTH) continue
      spaceIsPlus ||= value.includes(' ')
      // As UTF-8, and as Latin-1: how Node writes a header value holding non-ASCII characters,
      // and how `%E9`-style encoders write them.
      const latin1 = /^[\0-\xff]*$/.test(value) ? [Buffer.from(value, 'latin1')] : []
      for (const bytes of [Buffer.from(value, 'utf8'), ...latin1]) {
        forms.set(bytes.toString('hex'), bytes)
      }
    }
    if (forms.size === 0) return null
    const needles = [...forms.values()].map((needle) =>
      spaceIsPlus ? plusForSpace(needle) : needle,
    )
    return new SecretFinder(needles, spaceIsPlus)
  }

  /** The input with every span that decodes to a secret replaced by the mark (itself if none). */
  redact(input: Buffer, text: boolean): Buffer {
    let out = input
    // A replacement could only complete a secret that holds the mark; twice is enough to see.
    for (let round = 0; round < 2; round++) {
      const spans = this.spans(out)
      if (spans.length === 0) break
      out = splice(out, mergeSpans(spans, text ? out : null))
    }
    return out
  }

  private spans(input: Buffer): Array<[number, number]> {
    const spans: Array<[number, number]> = []
    for (let start = 0; start < input.length; start += WINDOW_BYTES) {
      const end = Math.min(input.length, start + WINDOW_BYTES + this.overlap)
      const found = this.spansIn({ bytes: input.subarray(start, end) })
      for (const [from, to] of found) spans.push([from + start, to + start])
      if (end === input.length) break
    }
    return spans
  }

  /** Search a view, the views decoded from it, and the views decoded from those. */
  private spansIn(root: View): Array<[number, number]> {
    const spans: Array<[number, number]> = []
    this.search(root, spans)
    for (const child of this.decoded(root)) {
      this.search(child, spans)
      for (const grandchild of this.decoded(child)) this.search(grandchild, spans)
    }
    return spans
  }

  private *decoded(view: View): Generator<View> {
    if (view.bytes.length < MIN_LENGTH) return
    for (const family of ESCAPE_FAMILIES) {
      const unescaped = unescapeView(view, family)
      if (unescaped) yield unescaped
    }
    if (view.bytes.length >= this.minBase64) yield* base64Views(view, this.minBase64)
    if (view.bytes.length >= this.minHex) yield* hexViews(view, this.minHex)
  }

  private search(view: View, spans: Array<[number, number]>) {
    const bytes = this.spaceIsPlus ? plusForSpace(view.bytes) : view.bytes
    for (const needle of this.needles) {
      for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
        spans.push(originalSpan(view, at, at + needle.length))
      }
    }
    // Escaped, each byte literal or escaped, from any start (escape-matcher.ts).
    const raw = view.bytes
    if (raw.indexOf(0x25) < 0 && raw.indexOf(0x5c) < 0 && raw.indexOf(0x26) < 0) return
    for (const needle of this.needles) {
      for (const [start, end] of escapedSpans(raw, needle, this.spaceIsPlus)) {
        spans.push(originalSpan(view, start, end))
      }
    }
  }
}

/** A copy with every space as `+` (needles and views alike: form encoding writes one as the other). */
function plusForSpace(bytes: Buffer): Buffer {
  if (bytes.indexOf(SPACE) < 0) return bytes
  const copy = Buffer.from(bytes)
  for (let i = copy.indexOf(SPACE); i >= 0; i = copy.indexOf(SPACE, i + 1)) copy[i] = PLUS
  return copy
}

/**
 * Sorted, overlapping spans joined; in text, widened to whole UTF-8 characters (a Latin-1 match
 * can start inside one) so that the result is still valid UTF-8.
 */
function mergeSpans(spans: Array<[number, number]>, text: Buffer | null): Array<[number, number]> {
  const widened = spans.map(([start, end]): [number, number] => {
    if (text) {
      while (start > 0 && (text[start] & 0xc0) === 0x80) start--
      while (end < text.length && (text[end] & 0xc0) === 0x80) end++
    }
    return [start, end]
  })
  widened.sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const span of widened) {
    const last = merged[merged.length - 1]
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1])
    else merged.push([span[0], span[1]])
  }
  return merged
}

function splice(input: Buffer, spans: Array<[number, number]>): Buffer {
  const parts: Buffer[] = []
  let from = 0
  for (const [start, end] of spans) {
    parts.push(input.subarray(from, start), MARK_BYTES)
    from = end
  }
  parts.push(input.subarray(from))
  return Buffer.concat(parts)
}

/**
 * A copy of parsed JSON with `map` applied to every string and key, iteratively (a value may be
 * deeper than the stack). Keys keep their order: each is defined when its object is copied, its
 * value filled in when reached.
 */
function mapStrings(value: unknown, map: (text: string) => string): unknown {
  const root: { value: unknown } = { value: undefined }
  const stack: Array<[unknown, (copy: unknown) => void]> = [[value, (copy) => (root.value = copy)]]
  while (stack.length) {
    const [node, place] = stack.pop()!
    if (typeof node === 'string') place(map(node))
    else if (Array.isArray(node)) {
      const copy: unknown[] = new Array(node.length)
      place(copy)
      node.forEach((item, i) => stack.push([item, (c) => (copy[i] = c)]))
    } else if (node !== null && typeof node === 'object') {
      const copy: Record<string, unknown> = {}
      place(copy)
      for (const [key, item] of Object.entries(node)) {
        const name = map(key)
        const fill = (c: unknown) =>
          Object.defineProperty(copy, name, {
            value: c,
            enumerable: true,
            writable: true,
            configurable: true,
          })
        fill(undefined)
        stack.push([item, fill])
      }
    } else place(node)
  }
  return root.value
}
