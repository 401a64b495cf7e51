/**
 * Where to go after signing in (rule 23): `next` only as a path on this site, judged after the
 * browser's own URL resolution (`/\host`, a tab or newline inside `//`, `https:\\host` all resolve
 * to another origin), never by looking at its first characters.
 */
export function nextPath(next: string | null, origin: string, fallback = '/dashboard'): string {
  if (next === null) return fallback
  let target: URL
  try {
    target = new URL(next, origin)
  } catch {
    return fallback
  }
  if (target.origin !== origin) return fallback
  return target.pathname + target.search + target.hash
}
