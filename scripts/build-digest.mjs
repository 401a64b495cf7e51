// The build digest: one sha256 over a build tree (`.output`), so anyone can check that a build —
// theirs, or the one an enclave reports — is this repository's. Format (docs/reproduce.md): every
// regular file under the tree except build-info.json at its top (which holds the digest), as the
// line `<sha256 of its bytes, hex>  <path relative to the tree, '/'-separated>\n`, lines sorted by
// path (byte order); the digest is the sha256 of those lines, hex. The same as
//   cd .output && find . -type f ! -path ./build-info.json -printf '%P\n' | LC_ALL=C sort \
//     | xargs -d '\n' sha256sum | sha256sum
//
//   node scripts/build-digest.mjs [dir]          print the digest of dir (default .output)
//   node scripts/build-digest.mjs --write-info   also write .output/build-info.json
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { listFiles } from './list-files.mjs'

export const BUILD_INFO_FILE = 'build-info.json'

/** The digest of the build tree at `dir` (see the format above). */
export function buildDigest(dir) {
  const root = resolve(dir)
  const files = listFiles(root).filter((path) => path !== BUILD_INFO_FILE)
  const lines = files.map((path) => {
    const bytes = readFileSync(join(root, path))
    return `${createHash('sha256').update(bytes).digest('hex')}  ${path}\n`
  })
  return createHash('sha256').update(lines.join('')).digest('hex')
}

/** The commit being built: SOURCE_COMMIT (a Docker build has no .git), else git's HEAD. */
function sourceCommit(cwd) {
  if (process.env.SOURCE_COMMIT) return process.env.SOURCE_COMMIT
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
  } catch {
    return null
  }
}

/** Write `<dir>/build-info.json`: what the server reports as what it runs. */
export function writeBuildInfo(dir, projectRoot) {
  const version = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version
  const info = { version, commit: sourceCommit(projectRoot), build_digest: buildDigest(dir) }
  writeFileSync(join(dir, BUILD_INFO_FILE), JSON.stringify(info, null, 2) + '\n')
  return info
}

// Run as a script — and only as this file: bundled into another (the CLI), import.meta.url is
// the bundle's, which must not start computing digests when it is run directly.
const self = fileURLToPath(import.meta.url)
if (self.endsWith('build-digest.mjs') && process.argv[1] && resolve(process.argv[1]) === self) {
  const args = process.argv.slice(2)
  const root = fileURLToPath(new URL('..', import.meta.url))
  if (args[0] === '--write-info') {
    const info = writeBuildInfo(join(root, '.output'), root)
    console.log(`build digest ${info.build_digest} (commit ${info.commit ?? 'unknown'})`)
  } else {
    console.log(buildDigest(args[0] ?? join(root, '.output')))
  }
}
