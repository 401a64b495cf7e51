/**
 * The site's icon: an SVG for browsers that take one (the pages link it), and /favicon.ico — a
 * 32×32 PNG inside an ICO, drawn here from the same shape — for everything that asks for that
 * path by habit. Both built once, at first use.
 */
import { deflateSync } from 'node:zlib'

const ACCENT = [0x1f, 0x6f, 0xeb] as const

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f6feb"/><circle cx="16" cy="16" r="8" fill="none" stroke="#fff" stroke-width="3.5"/><rect x="19" y="5" width="6" height="6" rx="1.5" fill="#fff"/></svg>`

let ico: Buffer | undefined

export function faviconIco(): Buffer {
  ico ??= icoOf(pngOf(32, drawIcon))
  return ico
}

/** The SVG's shape, pixel by pixel: a blue rounded square, a white ring, a white key. */
function drawIcon(x: number, y: number): [number, number, number, number] {
  const cx = x + 0.5
  const cy = y + 0.5
  const corner = 7
  const outside =
    (cx < corner || cx > 32 - corner) &&
    (cy < corner || cy > 32 - corner) &&
    Math.hypot(
      Math.min(Math.abs(cx - corner), Math.abs(cx - (32 - corner))),
      Math.min(Math.abs(cy - corner), Math.abs(cy - (32 - corner))),
    ) > corner
  if (outside) return [0, 0, 0, 0]
  const ring = Math.abs(Math.hypot(cx - 16, cy - 16) - 8) <= 1.75
  const key = cx >= 19 && cx <= 25 && cy >= 5 && cy <= 11
  return ring || key ? [255, 255, 255, 255] : [...ACCENT, 255]
}

function pngOf(size: number, pixel: (x: number, y: number) => number[]): Buffer {
  const rows: Buffer[] = []
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4)
    for (let x = 0; x < size; x++) Buffer.from(pixel(x, y)).copy(row, 1 + x * 4)
    rows.push(row)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** An ICO holding one PNG image (supported by every browser since Vista-era icons). */
function icoOf(png: Buffer): Buffer {
  const header = Buffer.alloc(6 + 16)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2) // icon
  header.writeUInt16LE(1, 4) // one image
  header.set([32, 32, 0, 0], 6) // width, height, colours, reserved
  header.writeUInt16LE(1, 10) // planes
  header.writeUInt16LE(32, 12) // bits per pixel
  header.writeUInt32LE(png.length, 14)
  header.writeUInt32LE(header.length, 18)
  return Buffer.concat([header, png])
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Buffer): number {
  let c = 0xffffffff
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
