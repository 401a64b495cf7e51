import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/**
 * Files the build copies next to the server entry (the guest entry, the bundled skills); in a
 * source checkout (`nitro dev`) they are found in the project folder instead.
 */
export function resolveBesideEntry(name: string, sourcePath = name): string {
  const candidates = [
    join(dirname(process.argv[1] ?? ''), name),
    resolve(process.cwd(), sourcePath),
  ]
  const found = candidates.find((candidate) => existsSync(candidate))
  if (!found) throw new Error(`${name} is missing (looked in ${candidates.join(', ')})`)
  return found
}
