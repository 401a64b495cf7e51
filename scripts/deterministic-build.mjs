// Reproducible builds: Nitro names some generated identifiers after a hash of each handler's and
// plugin's absolute path, and stamps nitro.json with the build time — so two checkouts of the same
// commit in different folders, or built at different times, would differ. After the build this
// renames those identifiers after the path relative to the project (the same hash, the same
// shape) and sets the stamp to SOURCE_DATE_EPOCH (or the epoch).
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, relative } from 'node:path'
import { hash } from 'ohash'
import { listFiles } from './list-files.mjs'

const require = createRequire(import.meta.url)

/** Nitro's own names (nitropack's rollup: getImportId, and the plugin imports). */
const importId = (path, lazy) => (lazy ? '_lazy_' : '_') + hash(path).replace(/-/g, '').slice(0, 6)
const pluginId = (path) => `_${hash(path).replace(/-/g, '')}`

/**
 * Seconds since the epoch the build is stamped with: SOURCE_DATE_EPOCH, else 0 — never the clock,
 * and never something a checkout may lack (an image has no .git), so every build of a commit
 * agrees unless told otherwise.
 */
export function sourceDateEpoch() {
  const given = Number(process.env.SOURCE_DATE_EPOCH)
  return Number.isInteger(given) && given >= 0 ? given : 0
}

export function normalizeBuild(nitro) {
  const root = nitro.options.rootDir
  const renames = new Map()
  const portable = (path) => (isAbsolute(path) ? relative(root, path).split('\\').join('/') : path)
  const handlers = [...nitro.options.handlers, ...(nitro.scannedHandlers ?? [])]
  // Nitro adds its public-assets middleware while bundling, not to the options.
  const nitroRuntime = join(dirname(require.resolve('nitropack/package.json')), 'dist', 'runtime')
  handlers.push({ handler: join(nitroRuntime, 'internal', 'static') })
  for (const path of new Set(handlers.map((handler) => handler.handler))) {
    for (const lazy of [true, false])
      renames.set(importId(path, lazy), importId(portable(path), lazy))
  }
  for (const path of nitro.options.plugins) renames.set(pluginId(path), pluginId(portable(path)))
  for (const [from, to] of renames) if (from === to) renames.delete(from)

  const serverDir = nitro.options.output.serverDir
  const names = [...renames.keys()].map((name) => name.replace(/\$/g, '\\$'))
  const pattern = names.length ? new RegExp(`(?<![\\w$])(${names.join('|')})(?![\\w$])`, 'g') : null
  for (const path of pattern ? listFiles(serverDir) : []) {
    if (!path.endsWith('.mjs')) continue
    const file = join(serverDir, path)
    const text = readFileSync(file, 'utf8')
    const renamed = text.replace(pattern, (name) => renames.get(name))
    if (renamed !== text) writeFileSync(file, renamed)
  }

  const stampFile = join(nitro.options.output.dir, 'nitro.json')
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8'))
  stamp.date = new Date(sourceDateEpoch() * 1000).toISOString()
  writeFileSync(stampFile, JSON.stringify(stamp, null, 2))
}
