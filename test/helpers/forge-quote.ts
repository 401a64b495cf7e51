/**
 * A TDX quote forged end to end by someone with their own certificate authority: a root and a
 * "PCK" certificate (DER written here, signed with node:crypto), an attestation key signing the
 * header and TD report, a QE report binding that key. Everything in it verifies except that the
 * chain does not end at the Intel SGX Root CA — which is exactly what the verifier must catch.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'

const SEQUENCE = 0x30

export function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts)
  const length =
    body.length < 0x80
      ? Buffer.from([body.length])
      : body.length < 0x100
        ? Buffer.from([0x81, body.length])
        : Buffer.from([0x82, body.length >> 8, body.length & 0xff])
  return Buffer.concat([Buffer.from([tag]), length, body])
}

const ECDSA_WITH_SHA256 = Buffer.from('06082a8648ce3d040302', 'hex')
const COMMON_NAME = Buffer.from('0603550403', 'hex')
export const algorithm = () => der(SEQUENCE, ECDSA_WITH_SHA256)
export const name = (cn: string) =>
  der(SEQUENCE, der(0x31, der(SEQUENCE, COMMON_NAME, der(0x0c, Buffer.from(cn)))))
export const utcTime = (iso: string) =>
  der(0x17, Buffer.from(iso.replace(/[-:T]/g, '').slice(2, 14) + 'Z'))

function certificate(subject: string, issuer: string, key: KeyObject, signer: KeyObject): Buffer {
  const spki = key.export({ type: 'spki', format: 'der' })
  const tbs = der(
    SEQUENCE,
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.from([1])),
    algorithm(),
    name(issuer),
    der(SEQUENCE, utcTime('2020-01-01T00:00:00'), utcTime('2040-01-01T00:00:00')),
    name(subject),
    spki,
  )
  const signature = sign('sha256', tbs, { key: signer, dsaEncoding: 'der' })
  return der(SEQUENCE, tbs, algorithm(), der(0x03, Buffer.from([0]), signature))
}

export const pem = (certificateDer: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${certificateDer
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`

export const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })

function rawPoint(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' })
  return Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')])
}

const u16 = (value: number) => {
  const out = Buffer.alloc(2)
  out.writeUInt16LE(value)
  return out
}
const u32 = (value: number) => {
  const out = Buffer.alloc(4)
  out.writeUInt32LE(value)
  return out
}

export interface ForgeOptions {
  reportData?: Buffer
  debug?: boolean
}

export function forgeQuote(options: ForgeOptions = {}): Buffer {
  const root = p256()
  const pck = p256()
  const chain =
    pem(certificate('Forged PCK', 'Forged Root CA', pck.publicKey, root.privateKey)) +
    pem(certificate('Forged Root CA', 'Forged Root CA', root.publicKey, root.privateKey))
  const body = Buffer.alloc(584)
  if (options.debug) body[120] = 1
  ;(options.reportData ?? Buffer.alloc(64, 7)).copy(body, 520)
  return signQuote({ body, qeReport: Buffer.alloc(384), pckKey: pck.privateKey, chain })
}

/**
 * A v4 quote around a TD report body: a fresh attestation key signs header and body, the QE
 * report (as given, its report_data set to bind that key) is signed by the PCK key, and the PEM
 * chain is the certification data.
 */
export function signQuote(parts: {
  body: Buffer
  qeReport: Buffer
  pckKey: KeyObject
  chain: string
}): Buffer {
  const attestation = p256()
  const header = Buffer.concat([u16(4), u16(2), u32(0x81), Buffer.alloc(40)])
  const signed = Buffer.concat([header, parts.body])
  const signature = sign('sha256', signed, {
    key: attestation.privateKey,
    dsaEncoding: 'ieee-p1363',
  })
  const attestationKey = rawPoint(attestation.publicKey)
  const authData = Buffer.alloc(32, 9)
  const qeReport = Buffer.from(parts.qeReport)
  createHash('sha256').update(attestationKey).update(authData).digest().copy(qeReport, 320)
  const qeSignature = sign('sha256', qeReport, { key: parts.pckKey, dsaEncoding: 'ieee-p1363' })
  const chainBytes = Buffer.from(parts.chain)
  const certification = Buffer.concat([
    qeReport,
    qeSignature,
    u16(authData.length),
    authData,
    u16(5),
    u32(chainBytes.length),
    chainBytes,
  ])
  const signatureData = Buffer.concat([
    signature,
    attestationKey,
    u16(6),
    u32(certification.length),
    certification,
  ])
  return Buffer.concat([signed, u32(signatureData.length), signatureData])
}
