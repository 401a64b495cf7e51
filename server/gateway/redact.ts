/**
 * Redaction of secret values from everything that leaves the host: each secret in its raw,
 * URL-encoded and base64 (standard and URL-safe) spellings, plus whole header values built from
 * secrets (`token X`, and the base64 of `user:pass` for Basic auth).
 */
const MARK = '[REDACTED]'
const MIN_LENGTH = 4

export type Redactor = (text: string) => string

export function createRedactor(values: Iterable<string>): Redactor {
  const needles = new Set<string>()
  for (const value of values) {
    if (!value || value.length < MIN_LENGTH) continue
    needles.add(value)
    needles.add(encodeURIComponent(value))
    const base64 = Buffer.from(value).toString('base64')
    needles.add(base64)
    needles.add(base64.replace(/=+$/, ''))
    needles.add(Buffer.from(value).toString('base64url'))
  }
  const ordered = [...needles]
    .filter((needle) => needle.length >= MIN_LENGTH)
    .sort((a, b) => b.length - a.length)
  if (ordered.length === 0) return (text) => text
  return (text) => {
    let out = text
    for (const needle of ordered) if (out.includes(needle)) out = out.split(needle).join(MARK)
    return out
  }
}
