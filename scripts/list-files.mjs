// Every regular file under a folder, as paths relative to it ('/'-separated, sorted by bytes).
// Node 20's `readdirSync(dir, { recursive: true, withFileTypes: true })` skips the contents of some
// nested folders (it missed 34 of 944 files of .output), so the tree is walked one folder at a time.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

/** @param {string} root @returns {string[]} */
export function listFiles(root) {
  const files = []
  const walk = (dir, prefix) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name
      if (entry.isDirectory()) walk(join(dir, entry.name), path)
      else if (entry.isFile()) files.push(path)
    }
  }
  walk(root, '')
  return files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}
