/**
 * The guests' own folder: their entry, its protocol module and the `ses` package with its
 * dependencies, copied once into a folder of their own, read-only to them. It is the only place a
 * guest may read (`--allow-fs-read`, the second wall), and readable by the unprivileged user
 * guests run as when the server runs as root, wherever the server itself is installed.
 *
 * One folder per content (its digest in the name), shared by every server started from the same
 * build: kill -9 leaves nothing behind to pile up. A folder of that name is used only if it is a
 * real directory owned by this user and writable by no one else (it lives in a shared temp dir).
 */
import { createHash } from 'node:crypto'
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'

/** What the guest imports besides its entry: `ses`, and the packages `ses` imports. */
const PACKAGES = ['ses', '@endo/cache-map', '@endo/env-options', '@endo/immutable-arraybuffer']

export interface GuestFolder {
  dir: string
  entry: string
}

/** Copy the guest entry (and what it imports) into its own folder, or reuse the one made before. */
export function prepareGuestFolder(entry: string, root = tmpdir()): GuestFolder {
  const sources = guestSources(entry)
  const digest = digestOf(sources)
  const dir = join(root, `oauth3-guest-${digest.slice(0, 24)}`)
  if (!isOwnFolder(dir)) {
    const staging = mkdtempSync(join(root, 'oauth3-guest-staging-'))
    for (const [from, to] of sources) cpSync(from, join(staging, to), { recursive: true })
    readableByAll(staging)
    try {
      renameSync(staging, dir)
    } catch {
      // Another server made it first (or a stranger's file has the name): keep ours apart.
      rmSync(staging, { recursive: true, force: true })
      if (!isOwnFolder(dir)) return prepareUniqueFolder(sources, root, entry)
    }
  }
  return { dir, entry: join(dir, basename(entry)) }
}

function prepareUniqueFolder(sources: Array<[string, string]>, root: string, entry: string) {
  const dir = mkdtempSync(join(root, 'oauth3-guest-'))
  for (const [from, to] of sources) cpSync(from, join(dir, to), { recursive: true })
  readableByAll(dir)
  return { dir, entry: join(dir, basename(entry)) }
}

/** [source path, path inside the guest folder] for every file or package the guest needs. */
function guestSources(entry: string): Array<[string, string]> {
  const here = dirname(entry)
  const sources: Array<[string, string]> = [
    [entry, basename(entry)],
    [join(here, 'protocol.mjs'), 'protocol.mjs'],
  ]
  for (const name of PACKAGES) sources.push([findPackage(here, name), join('node_modules', name)])
  return sources
}

/** The package's folder in the nearest node_modules above `from` (as Node resolves it). */
function findPackage(from: string, name: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) throw new Error(`the guest's package ${name} is not installed`)
  }
}

function digestOf(sources: Array<[string, string]>): string {
  const hash = createHash('sha256')
  const add = (path: string, name: string) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) add(join(path, entry), `${name}/${entry}`)
    } else hash.update(`${name}\0`).update(readFileSync(path)).update('\0')
  }
  for (const [from, to] of sources) add(from, to)
  hash.update(`uid ${process.getuid?.() ?? ''}`)
  return hash.digest('hex')
}

/** A real directory (not a link) of this user's that no one else can write into. */
function isOwnFolder(dir: string): boolean {
  try {
    const stat = lstatSync(dir)
    const uid = process.getuid?.()
    return (
      stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0
    )
  } catch {
    return false
  }
}

/** Folders 0755, files 0644: every user reads, only the owner writes. */
function readableByAll(path: string) {
  const stat = lstatSync(path)
  if (stat.isDirectory()) {
    chmodSync(path, 0o755)
    for (const entry of readdirSync(path)) readableByAll(join(path, entry))
  } else if (stat.isFile()) chmodSync(path, 0o644)
}
