/**
 * Rule 9 from the outside: the standard web encoders an upstream may echo a secret through, and an
 * oracle, written independently of the server's redactor with plain regular expressions, that
 * says whether a reader can decode a secret back from some text (each decoding, and each applied
 * to the result of another).
 */

const hex2 = (byte: number) => byte.toString(16).padStart(2, '0')
const utf8 = (text: string) => Buffer.from(text, 'utf8')

/** Deterministic "random" choices for encoders that mix forms, from a seed the test draws. */
function chooser(seed: number) {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
}

const NAMED: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '+': '&plus;',
  '/': '&sol;',
  '=': '&equals;',
  '%': '&percnt;',
  '\\': '&bsol;',
  ' ': '&#32;',
}

/** An encoder: the text it echoes, given the secret (or an inner encoding of it) and a seed. */
export type Encoder = (text: string, seed: number) => string

export const ENCODERS: Record<string, Encoder> = {
  raw: (text) => text,
  encodeURIComponent: (text) => encodeURIComponent(text),
  // .NET's UrlEncode: lower-case hex.
  percentLower: (text) => encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  percentEveryByte: (text, seed) => {
    const random = chooser(seed)
    return [...utf8(text)]
      .map((byte) => '%' + (random() < 0.5 ? hex2(byte) : hex2(byte).toUpperCase()))
      .join('')
  },
  percentMixed: (text, seed) => {
    const random = chooser(seed)
    return [...utf8(text)]
      .map((byte) =>
        byte < 0x80 && byte > 0x20 && byte !== 0x25 && random() < 0.5
          ? String.fromCharCode(byte)
          : '%' + hex2(byte),
      )
      .join('')
  },
  form: (text) => new URLSearchParams({ k: text }).toString().slice(2),
  encodeURI: (text) => encodeURI(text),
  base64: (text, seed) => {
    const prefix = Buffer.alloc(seed % 3, 0x41 + (seed % 7))
    return Buffer.concat([prefix, utf8(text)]).toString('base64')
  },
  base64url: (text, seed) => {
    const prefix = Buffer.alloc(seed % 3, 0x30 + (seed % 5))
    return Buffer.concat([prefix, utf8(text)]).toString('base64url')
  },
  hexLower: (text) => utf8(text).toString('hex'),
  hexUpper: (text) => utf8(text).toString('hex').toUpperCase(),
  json: (text) => JSON.stringify(text).slice(1, -1),
  jsonUnicode: (text, seed) => {
    const random = chooser(seed)
    return [...text]
      .map((c) => {
        const units = c.length === 2 ? [c.charCodeAt(0), c.charCodeAt(1)] : [c.charCodeAt(0)]
        return c.charCodeAt(0) > 0x7e || random() < 0.5
          ? units.map((u) => '\\u' + u.toString(16).padStart(4, '0')).join('')
          : JSON.stringify(c).slice(1, -1)
      })
      .join('')
  },
  jsEscapes: (text, seed) => {
    const random = chooser(seed)
    return [...text]
      .map((c) => {
        const point = c.codePointAt(0)!
        if (point <= 0x7f && random() < 0.5) return '\\x' + hex2(point)
        return point > 0xffff ? `\\u{${point.toString(16)}}` : c === '\\' ? '\\\\' : c
      })
      .join('')
  },
  htmlDecimal: (text) => [...text].map((c) => `&#${c.codePointAt(0)};`).join(''),
  htmlHex: (text, seed) => {
    const random = chooser(seed)
    return [...text]
      .map((c) => (random() < 0.7 ? `&#x${c.codePointAt(0)!.toString(16)};` : c))
      .join('')
  },
  htmlNamed: (text) => [...text].map((c) => NAMED[c] ?? c).join(''),
}

/** Views of bytes as Latin-1 strings (one character per byte), for the regular expressions. */
const fromBytes = (bytes: Buffer) => bytes.toString('latin1')
const pointBytes = (point: number) => fromBytes(utf8(String.fromCodePoint(point)))

const DECODERS: Array<(view: string) => string[]> = [
  // Percent-encoding, `+` kept (the comparison treats it as a space).
  (view) => [view.replace(/%([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)))],
  // JSON and JavaScript string escapes.
  (view) => [
    view
      .replace(/\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})/g, (_, hi, lo) =>
        fromBytes(utf8(String.fromCharCode(parseInt(hi, 16), parseInt(lo, 16)))),
      )
      .replace(
        /\\u\{([0-9a-f]{1,6})\}|\\u([0-9a-f]{4})|\\x([0-9a-f]{2})|\\(.)/gis,
        (m, p, u, x, c) =>
          p && parseInt(p, 16) > 0x10ffff
            ? m
            : p || u
              ? pointBytes(parseInt(p || u, 16))
              : x
                ? String.fromCharCode(parseInt(x, 16))
                : c,
      ),
  ],
  // HTML character references.
  (view) => [
    view.replace(/&#x([0-9a-f]{1,6});?|&#([0-9]{1,7});?|&([a-z]+);/gi, (m, h, d, name) => {
      const point = h || d ? parseInt(h || d, h ? 16 : 10) : -1
      if (point > 0x10ffff) return m
      if (point >= 0) return pointBytes(point)
      const named = Object.entries(NAMED).find(([, ref]) => ref === `&${name};`)
      return named ? named[0] : m
    }),
  ],
  // Base64 and base64url at every alignment.
  (view) =>
    [...view.matchAll(/[A-Za-z0-9+/_-]{6,}/g)].flatMap(([run]) =>
      [0, 1, 2, 3].map((offset) =>
        fromBytes(Buffer.from(run.slice(offset).replace(/-/g, '+').replace(/_/g, '/'), 'base64')),
      ),
    ),
  // Hex at both alignments.
  (view) =>
    [...view.matchAll(/[0-9a-f]{8,}/gi)].flatMap(([run]) =>
      [0, 1].map((offset) =>
        fromBytes(Buffer.from(run.slice(offset, run.length - ((run.length - offset) % 2)), 'hex')),
      ),
    ),
]

/** Whether a reader of `text` can decode `secret` back (one decoding, or two in a row). */
export function revealsSecret(text: string, secret: string): boolean {
  const plus = (bytes: string) => bytes.replace(/ /g, '+')
  const needles = [fromBytes(utf8(secret))]
  if (/^[\0-\xff]*$/.test(secret)) needles.push(secret)
  const wanted = needles.map(plus)
  const found = (view: string) => wanted.some((needle) => plus(view).includes(needle))
  const root = fromBytes(utf8(text))
  if (found(root)) return true
  const first = DECODERS.flatMap((decode) => decode(root))
  if (first.some(found)) return true
  return first.some((view) => DECODERS.some((decode) => decode(view).some(found)))
}
