/**
 * Redaction of the owners' secrets from everything that leaves the host (rule 9), in every form
 * the agent can read after any decoding the gateway does: text is searched for each secret raw,
 * URL-encoded and base64-encoded (standard and URL-safe); bytes are searched before they are
 * base64-encoded for the agent (a search of base64 text finds a secret only at offsets that are a
 * multiple of 3); parsed JSON is searched string by string, keys included, after parsing (JSON
 * escapes — `\"`, `\\`, `\/`, `\uXXXX` — hide a secret from a search of the raw text).
 */
const MARK = '[REDACTED]'
const MARK_BYTES = Buffer.from(MARK)
/** Shorter values would blank out ordinary text: a secret is expected to be longer. */
const MIN_LENGTH = 4

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
  const texts = new Set<string>()
  const byteForms = new Map<string, Buffer>()
  for (const value of values) {
    if (!value || value.length < MIN_LENGTH) continue
    const base64 = Buffer.from(value).toString('base64')
    for (const form of [value, encodeURIComponent(value), base64, base64.replace(/=+$/, '')]) {
      texts.add(form)
    }
    texts.add(Buffer.from(value).toString('base64url'))
    // As UTF-8, and as latin1: how Node writes a header value holding non-ASCII characters.
    for (const bytes of [Buffer.from(value, 'utf8'), Buffer.from(value, 'latin1')]) {
      byteForms.set(bytes.toString('hex'), bytes)
    }
  }
  const needles = [...texts]
    .filter((needle) => needle.length >= MIN_LENGTH)
    .sort((a, b) => b.length - a.length)
  const byteNeedles = [...byteForms.values()].sort((a, b) => b.length - a.length)
  if (needles.length === 0) return NO_REDACTION

  const text = (input: string) => {
    let out = input
    for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(MARK)
    return out
  }
  const bytes = (input: Buffer) => {
    let out = input
    for (const needle of byteNeedles) out = replaceBytes(out, needle)
    return out
  }
  return { text, bytes, json: (value) => mapStrings(value, text) }
}

function replaceBytes(input: Buffer, needle: Buffer): Buffer {
  let at = input.indexOf(needle)
  if (at < 0) return input
  const parts: Buffer[] = []
  let from = 0
  while (at >= 0) {
    parts.push(input.subarray(from, at), MARK_BYTES)
    from = at + needle.length
    at = input.indexOf(needle, from)
  }
  parts.push(input.subarray(from))
  return Buffer.concat(parts)
}

/** A copy of parsed JSON with `map` applied to every string and key, iteratively. */
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
        stack.push([
          item,
          (c) =>
            Object.defineProperty(copy, name, {
              value: c,
              enumerable: true,
              writable: true,
              configurable: true,
            }),
        ])
      }
    } else place(node)
  }
  return root.value
}
