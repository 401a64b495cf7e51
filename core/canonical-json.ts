/**
 * Canonical JSON (sorted keys, no whitespace, no undefined): the form that manifest hashes and
 * receipts are computed over, so the same value always hashes the same, on every node and in
 * every verifier. Pure: it runs in a browser too.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  // Loops and concatenation rather than map/filter/join: this runs on every result and receipt.
  let out: string
  if (Array.isArray(value)) {
    out = '['
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      out += (i === 0 ? '' : ',') + (item === undefined ? 'null' : canonicalJson(item))
    }
    return out + ']'
  }
  const record = value as Record<string, unknown>
  out = '{'
  for (const key of Object.keys(record).sort()) {
    const item = record[key]
    if (item === undefined) continue
    out += (out.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(item)
  }
  return out + '}'
}
