/**
 * An unstorage driver for the embedded store: one JSON file per key, written to a temporary file
 * and renamed into place, so a `kill -9` at any instant leaves either the old or the new value,
 * never a torn one. With `fsync` the file and its folder are flushed before the write is
 * acknowledged, which also survives power loss.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { defineDriver } from 'unstorage'

export interface FsAtomicOptions {
  base: string
  fsync?: boolean
}

const SUFFIX = '.json'
const TMP = '.tmp'

export const fsAtomicDriver = defineDriver((options: FsAtomicOptions) => {
  const base = options.base
  const madeDirs = new Set<string>()
  const fileOf = (key: string) => join(base, ...key.split(':')) + SUFFIX

  async function ensureDir(dir: string) {
    if (madeDirs.has(dir)) return
    await mkdir(dir, { recursive: true })
    madeDirs.add(dir)
  }

  async function writeAtomic(file: string, text: string) {
    const dir = dirname(file)
    await ensureDir(dir)
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}${TMP}`
    const handle = await open(tmp, 'w', 0o600)
    try {
      await handle.writeFile(text)
      if (options.fsync) await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, file)
    if (options.fsync) syncDir(dir)
  }

  async function walk(dir: string, out: string[]) {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path, out)
      else if (entry.name.endsWith(SUFFIX)) out.push(relative(base, path).slice(0, -SUFFIX.length).split(sep).join(':'))
    }
  }

  async function readItem(key: string) {
    try {
      return await readFile(fileOf(key), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
  }

  return {
    name: 'fs-atomic',
    options,
    async hasItem(key: string) {
      return (await readItem(key)) !== null
    },
    getItem: readItem,
    async setItem(key: string, value: string) {
      await writeAtomic(fileOf(key), value)
    },
    async removeItem(key: string) {
      try {
        await unlink(fileOf(key))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    },
    async getKeys(prefix: string) {
      const clean = prefix.replace(/:+$/, '')
      const keys: string[] = []
      await walk(clean ? join(base, ...clean.split(':')) : base, keys)
      return keys
    },
    async clear(prefix: string) {
      const clean = prefix.replace(/:+$/, '')
      await rm(clean ? join(base, ...clean.split(':')) : base, { recursive: true, force: true })
      madeDirs.clear()
    },
  }
})

/** Temporary files left by a process killed mid-write are garbage; remove them at open. */
export async function removeStaleTemporaries(dir: string): Promise<number> {
  let removed = 0
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true })
  } catch {
    return 0
  }
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith(TMP)) {
      await unlink(join(entry.parentPath, entry.name)).catch(() => {})
      removed++
    }
  }
  return removed
}

function syncDir(dir: string) {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
