/**
 * Just enough DER to check an X.509 certificate chain with WebCrypto: the signed part, the
 * signature algorithm and value, the names, the validity, the serial number, the extensions and
 * the public key of a certificate; and the same of a certificate revocation list (CRL).
 */
import { equal, fromBase64, toBase64, toHex } from './bytes'

export interface Node {
  tag: number
  /** The whole element, header included. */
  raw: Uint8Array
  /** Its contents. */
  body: Uint8Array
}

export function readNode(bytes: Uint8Array, offset: number): Node & { end: number } {
  const tag = bytes[offset]
  let length = bytes[offset + 1]
  let header = 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4) throw new Error('unsupported DER length')
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]
    header += count
    // DER: the shortest length form only.
    if (length < 0x80 || bytes[offset + 2] === 0) throw new Error('non-minimal DER length')
  }
  const end = offset + header + length
  if (tag === undefined || end > bytes.length) throw new Error('truncated DER')
  return { tag, raw: bytes.subarray(offset, end), body: bytes.subarray(offset + header, end), end }
}

const SEQUENCE = 0x30
const INTEGER = 0x02
const BIT_STRING = 0x03
const OCTET_STRING = 0x04
const OID = 0x06
const BOOLEAN = 0x01

function expectTag<T extends Node>(node: T | undefined, tag: number, what: string): T {
  if (!node || node.tag !== tag) throw new Error(`${what} is not where a certificate has it`)
  return node
}

export function children(node: Node): Node[] {
  const out: Node[] = []
  for (let offset = 0; offset < node.body.length;) {
    const child = readNode(node.body, offset)
    out.push(child)
    offset = child.end
  }
  return out
}

export interface Certificate {
  /** The whole certificate (DER). */
  der: Uint8Array
  /** The signed part. */
  tbs: Uint8Array
  /** Signature algorithm, as a dotted OID. */
  algorithm: string
  /** The signature as DER (for ECDSA: SEQUENCE { r, s }). */
  signature: Uint8Array
  issuer: Uint8Array
  subject: Uint8Array
  notBefore: number
  notAfter: number
  /** SubjectPublicKeyInfo (DER), as WebCrypto imports it. */
  spki: Uint8Array
  /** The serial number, as lowercase hex without leading zero bytes. */
  serial: string
  /** Extension values (the contents of extnValue) by dotted OID. */
  extensions: Map<string, Uint8Array>
}

export function parseCertificate(der: Uint8Array): Certificate {
  const root = expectTag(readNode(der, 0), SEQUENCE, 'the certificate')
  if (root.end !== der.length) throw new Error('trailing bytes after the certificate')
  const parts = children(root)
  if (parts.length !== 3) throw new Error('a certificate has three parts')
  const tbsNode = expectTag(parts[0], SEQUENCE, 'the signed part')
  const algorithmNode = expectTag(parts[1], SEQUENCE, 'the signature algorithm')
  const signatureNode = expectTag(parts[2], BIT_STRING, 'the signature')
  const tbsFields = children(tbsNode)
  // An explicit [0] version is present in every v3 certificate.
  const fields = tbsFields[0]?.tag === 0xa0 ? tbsFields.slice(1) : tbsFields
  const [serialNode, innerAlgorithm, issuer, validity, subject, spki, ...rest] = fields
  if (!innerAlgorithm || !equal(innerAlgorithm.raw, algorithmNode.raw))
    throw new Error('the signed and the outer signature algorithms differ')
  expectTag(issuer, SEQUENCE, 'the issuer')
  expectTag(subject, SEQUENCE, 'the subject')
  expectTag(spki, SEQUENCE, 'the public key')
  const [notBefore, notAfter] = children(expectTag(validity, SEQUENCE, 'the validity')).map(
    parseTime,
  )
  const signatureBits = signatureNode.body
  if (signatureBits[0] !== 0) throw new Error('unsupported signature bit string')
  return {
    der,
    tbs: tbsNode.raw,
    algorithm: parseOid(expectTag(children(algorithmNode)[0], OID, 'the algorithm').body),
    signature: signatureBits.subarray(1),
    issuer: issuer.raw,
    subject: subject.raw,
    notBefore,
    notAfter,
    spki: spki.raw,
    serial: serialOf(expectTag(serialNode, INTEGER, 'the serial number')),
    extensions: extensionsOf(rest.find((node) => node.tag === 0xa3)),
  }
}

function serialOf(node: Node): string {
  let start = 0
  while (start < node.body.length - 1 && node.body[start] === 0) start++
  return toHex(node.body.subarray(start))
}

/** [3] EXPLICIT SEQUENCE OF Extension { extnID, critical?, extnValue OCTET STRING }. */
function extensionsOf(node: Node | undefined): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>()
  if (!node) return out
  const list = expectTag(children(node)[0], SEQUENCE, 'the extensions')
  for (const extension of children(list)) {
    const parts = children(expectTag(extension, SEQUENCE, 'an extension'))
    const oid = parseOid(expectTag(parts[0], OID, 'an extension id').body)
    const value = expectTag(
      parts[parts[1]?.tag === BOOLEAN ? 2 : 1],
      OCTET_STRING,
      'an extension value',
    )
    if (out.has(oid)) throw new Error(`extension ${oid} appears twice`)
    out.set(oid, value.body)
  }
  return out
}

export interface RevocationList {
  der: Uint8Array
  tbs: Uint8Array
  algorithm: string
  signature: Uint8Array
  issuer: Uint8Array
  thisUpdate: number
  nextUpdate?: number
  /** Serial numbers of the revoked certificates, as in Certificate.serial. */
  revoked: Set<string>
}

/** A CRL (RFC 5280 CertificateList), strictly: one element, nothing after it. */
export function parseRevocationList(der: Uint8Array): RevocationList {
  const root = expectTag(readNode(der, 0), SEQUENCE, 'the CRL')
  if (root.end !== der.length) throw new Error('trailing bytes after the CRL')
  const parts = children(root)
  if (parts.length !== 3) throw new Error('a CRL has three parts')
  const tbsNode = expectTag(parts[0], SEQUENCE, 'the signed part of the CRL')
  const algorithmNode = expectTag(parts[1], SEQUENCE, 'the CRL signature algorithm')
  const signatureNode = expectTag(parts[2], BIT_STRING, 'the CRL signature')
  let fields = children(tbsNode)
  if (fields[0]?.tag === INTEGER) fields = fields.slice(1) // version v2
  const [innerAlgorithm, issuer, thisUpdate, ...rest] = fields
  if (!innerAlgorithm || !equal(innerAlgorithm.raw, algorithmNode.raw))
    throw new Error('the signed and the outer CRL signature algorithms differ')
  expectTag(issuer, SEQUENCE, 'the CRL issuer')
  let index = 0
  const isTime = (node: Node | undefined) => node?.tag === 0x17 || node?.tag === 0x18
  const nextUpdate = isTime(rest[index]) ? parseTime(rest[index++]) : undefined
  const revoked = new Set<string>()
  if (rest[index]?.tag === SEQUENCE) {
    for (const entry of children(rest[index++])) {
      const serial = children(expectTag(entry, SEQUENCE, 'a revoked certificate'))[0]
      revoked.add(serialOf(expectTag(serial, INTEGER, 'a revoked serial number')))
    }
  }
  if (rest[index] && rest[index].tag !== 0xa0) throw new Error('unexpected field in the CRL')
  if (signatureNode.body[0] !== 0) throw new Error('unsupported CRL signature bit string')
  return {
    der,
    tbs: tbsNode.raw,
    algorithm: parseOid(expectTag(children(algorithmNode)[0], OID, 'the algorithm').body),
    signature: signatureNode.body.subarray(1),
    issuer: issuer.raw,
    thisUpdate: parseTime(
      expectTag(thisUpdate, isTime(thisUpdate) ? thisUpdate.tag : -1, 'thisUpdate'),
    ),
    ...(nextUpdate !== undefined ? { nextUpdate } : {}),
    revoked,
  }
}

/**
 * The certificates of a PEM bundle, in order. Strict: nothing but certificate blocks of canonical
 * base64 in 64-character lines, so that no byte of the bundle can change without changing a
 * certificate.
 */
export function parsePemChain(pem: string): Certificate[] {
  const block =
    /-----BEGIN CERTIFICATE-----\n((?:[A-Za-z0-9+/=]{1,64}\n)+)-----END CERTIFICATE-----\n/y
  const certificates: Certificate[] = []
  while (block.lastIndex < pem.length) {
    const match = block.exec(pem)
    if (!match) throw new Error('the PEM bundle holds something other than certificates')
    const der = fromBase64(match[1])
    const canonical = toBase64(der).replace(/.{1,64}/g, '$&\n')
    if (canonical !== match[1]) throw new Error('a certificate is not in canonical PEM form')
    certificates.push(parseCertificate(der))
  }
  return certificates
}

/** An ECDSA signature from DER SEQUENCE { r, s } to the fixed-size r‖s WebCrypto verifies. */
export function ecdsaDerToRaw(signature: Uint8Array, size = 32): Uint8Array {
  const sequence = expectTag(readNode(signature, 0), SEQUENCE, 'the ECDSA signature')
  if (sequence.end !== signature.length) throw new Error('trailing bytes after the signature')
  const integers = children(sequence)
  if (integers.length !== 2) throw new Error('an ECDSA signature is two integers')
  const [r, s] = integers.map((integer) => expectTag(integer, INTEGER, 'r or s').body)
  const out = new Uint8Array(size * 2)
  for (const [index, value] of [r, s].entries()) {
    const trimmed = value.subarray(Math.max(0, value.length - size))
    if (value.length > size && value.subarray(0, value.length - size).some((byte) => byte !== 0)) {
      throw new Error('ECDSA integer too large')
    }
    out.set(trimmed, index * size + size - trimmed.length)
  }
  return out
}

export function parseOid(body: Uint8Array): string {
  const parts = [Math.floor(body[0] / 40), body[0] % 40]
  let value = 0
  for (const byte of body.subarray(1)) {
    value = value * 128 + (byte & 0x7f)
    if (!(byte & 0x80)) {
      parts.push(value)
      value = 0
    }
  }
  return parts.join('.')
}

function parseTime(node: Node): number {
  const text = new TextDecoder().decode(node.body)
  const utc = node.tag === 0x17
  const match = (
    utc
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/
  ).exec(text)
  if (!match) throw new Error('unsupported certificate time')
  let year = Number(match[1])
  if (utc) year += year < 50 ? 2000 : 1900
  const [, , month, day, hour, minute, second] = match.map(Number)
  return Date.UTC(year, month - 1, day, hour, minute, second)
}
