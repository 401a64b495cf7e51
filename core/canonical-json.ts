/**
 * Canonical JSON (sorted keys, no whitespace, no undefined): the form that manifest hashes and
 * receipts are computed over, so the same value always hashes the same, on every node and in
 * every verifier. Pure: it runs in a browser too.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`
  const entries = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map(
      (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
    )
  return `{${entries.join(',')}}`
}
