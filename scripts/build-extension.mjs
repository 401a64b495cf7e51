// The browser extension as a zip, reproducibly: the files of extension/ (its README aside) in
// name order, stored uncompressed with a fixed timestamp, so the same sources always give the same
// bytes. Written to .output/extension/oauth3-extension.zip with its SHA-256 beside it, and the
// digest printed: compare it with the zip a store or a colleague hands you.
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32 } from 'node:zlib'

const root = fileURLToPath(new URL('..', import.meta.url))
const source = join(root, 'extension')
const defaultOut = join(root, '.output', 'extension')

/** 1980-01-01 00:00, the earliest time a zip can say: no build time leaks into the bytes. */
const DOS_TIME = 0
const DOS_DATE = (0 << 9) | (1 << 5) | 1

/** `out`: where to write it (the build's .output/extension by default). */
export function buildExtensionZip(out = defaultOut) {
  const names = readdirSync(source)
    .filter((name) => name !== 'README.md' && !name.startsWith('.'))
    .sort()
  const locals = []
  const centrals = []
  let offset = 0
  for (const name of names) {
    const data = readFileSync(join(source, name))
    const fileName = Buffer.from(name, 'utf8')
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4) // version needed
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(0, 8) // stored
    local.writeUInt16LE(DOS_TIME, 10)
    local.writeUInt16LE(DOS_DATE, 12)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(fileName.length, 26)
    local.writeUInt16LE(0, 28)
    locals.push(local, fileName, data)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4) // made by
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(0, 10)
    central.writeUInt16LE(DOS_TIME, 12)
    central.writeUInt16LE(DOS_DATE, 14)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(fileName.length, 28)
    central.writeUInt32LE(0, 38) // external attributes
    central.writeUInt32LE(offset, 42)
    centrals.push(central, fileName)
    offset += local.length + fileName.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(names.length, 8)
  end.writeUInt16LE(names.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  const zip = Buffer.concat([...locals, directory, end])
  const sha256 = createHash('sha256').update(zip).digest('hex')
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'oauth3-extension.zip'), zip)
  writeFileSync(join(out, 'oauth3-extension.zip.sha256'), `${sha256}  oauth3-extension.zip\n`)
  return { sha256, files: names }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? defaultOut
  const { sha256, files } = buildExtensionZip(out)
  console.log(`extension ${sha256} (${files.length} files) → ${join(out, 'oauth3-extension.zip')}`)
}
