/**
 * A TDX quote, version 4 or 5 (Intel's public layout): a 48-byte header and the TD report — in
 * v4 a 584-byte TDX 1.0 report right after the header; in v5 a body descriptor first (type u16:
 * 2 for the TDX 1.0 report, 3 for the 648-byte TDX 1.5 report, which adds TEE_TCB_SVN2 and
 * MRSERVICETD; size u32) — together what the attestation key signs; then the ECDSA-P256 signature
 * and attestation key, then the certification data: the Quoting Enclave's report, signed by the
 * platform's PCK key, its authentication data, and the PCK certificate chain (PEM).
 */

export interface TdReport {
  teeTcbSvn: Uint8Array
  mrSeam: Uint8Array
  mrSignerSeam: Uint8Array
  seamAttributes: Uint8Array
  tdAttributes: Uint8Array
  xfam: Uint8Array
  mrTd: Uint8Array
  mrConfigId: Uint8Array
  mrOwner: Uint8Array
  mrOwnerConfig: Uint8Array
  rtmrs: [Uint8Array, Uint8Array, Uint8Array, Uint8Array]
  reportData: Uint8Array
  /** TDX 1.5 reports (quote v5, body type 3) only. */
  teeTcbSvn2?: Uint8Array
  mrServiceTd?: Uint8Array
}

export interface TdxQuote {
  version: number
  teeType: number
  /** 2: TDX 1.0 report (every v4 quote), 3: TDX 1.5 report. */
  bodyType: number
  /** Header and TD report: the bytes the quote signature covers. */
  signedBytes: Uint8Array
  report: TdReport
  /** r‖s */
  signature: Uint8Array
  /** x‖y of the P-256 attestation key. */
  attestationKey: Uint8Array
  qeReport: Uint8Array
  /** The QE report's own report_data (its last 64 bytes). */
  qeReportData: Uint8Array
  qeReportSignature: Uint8Array
  qeAuthData: Uint8Array
  /** The PCK certificate chain, PEM: PCK → intermediate CA → Intel SGX Root CA. */
  pckChainPem: string
}

export const TDX_TEE_TYPE = 0x81
const ECDSA_P256_KEY = 2
const HEADER = 48
/** TD report sizes by quote body type (v5's body descriptor; v4 is always type 2). */
const BODY_SIZES: Record<number, number> = { 2: 584, 3: 648 }
const QE_REPORT = 384

export class QuoteFormatError extends Error {}

export function parseTdxQuote(bytes: Uint8Array): TdxQuote {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  const take = (length: number) => {
    if (offset + length > bytes.length) throw new QuoteFormatError('the quote is truncated')
    const part = bytes.subarray(offset, offset + length)
    offset += length
    return part
  }
  const u16 = () => view.getUint16(take(2).byteOffset - bytes.byteOffset, true)
  const u32 = () => view.getUint32(take(4).byteOffset - bytes.byteOffset, true)

  const version = u16()
  const keyType = u16()
  const teeType = u32()
  if (version !== 4 && version !== 5)
    throw new QuoteFormatError(`quote version ${version} is not 4 or 5`)
  if (keyType !== ECDSA_P256_KEY) throw new QuoteFormatError('the attestation key is not P-256')
  if (teeType !== TDX_TEE_TYPE) throw new QuoteFormatError('not a TDX quote')
  offset = HEADER
  let bodyType = 2
  if (version === 5) {
    bodyType = u16()
    const size = u32()
    if (BODY_SIZES[bodyType] === undefined)
      throw new QuoteFormatError(`quote body type ${bodyType} is not a TD report (2 or 3)`)
    if (size !== BODY_SIZES[bodyType])
      throw new QuoteFormatError(`quote body size ${size} is not ${BODY_SIZES[bodyType]}`)
  }
  const body = take(BODY_SIZES[bodyType])
  const signedLength = offset
  const field = (start: number, length: number) => body.subarray(start, start + length)
  const report: TdReport = {
    teeTcbSvn: field(0, 16),
    mrSeam: field(16, 48),
    mrSignerSeam: field(64, 48),
    seamAttributes: field(112, 8),
    tdAttributes: field(120, 8),
    xfam: field(128, 8),
    mrTd: field(136, 48),
    mrConfigId: field(184, 48),
    mrOwner: field(232, 48),
    mrOwnerConfig: field(280, 48),
    rtmrs: [field(328, 48), field(376, 48), field(424, 48), field(472, 48)],
    reportData: field(520, 64),
    ...(bodyType === 3 ? { teeTcbSvn2: field(584, 16), mrServiceTd: field(600, 48) } : {}),
  }
  const signatureLength = u32()
  // Every length must add up, and only zeros may pad the quote: no byte goes unchecked.
  const end = offset + signatureLength
  if (end > bytes.length) throw new QuoteFormatError('the signature data is truncated')
  if (bytes.subarray(end).some((byte) => byte !== 0))
    throw new QuoteFormatError('bytes other than padding follow the signature data')
  const signature = take(64)
  const attestationKey = take(64)
  let certType = u16()
  if (certType !== 6) throw new QuoteFormatError(`certification data type ${certType} is not 6`)
  const certificationSize = u32()
  if (offset + certificationSize !== end)
    throw new QuoteFormatError('the certification data size is wrong')
  const qeReport = take(QE_REPORT)
  const qeReportSignature = take(64)
  const qeAuthData = take(u16())
  certType = u16()
  const pemSize = u32()
  if (certType !== 5) throw new QuoteFormatError(`PCK certification data type ${certType} is not 5`)
  if (offset + pemSize !== end) throw new QuoteFormatError('the PCK chain size is wrong')
  const pckChainPem = new TextDecoder().decode(take(pemSize)).replace(/\0+$/, '')
  return {
    version,
    teeType,
    bodyType,
    signedBytes: bytes.subarray(0, signedLength),
    report,
    signature,
    attestationKey,
    qeReport,
    qeReportData: qeReport.subarray(QE_REPORT - 64),
    qeReportSignature,
    qeAuthData,
    pckChainPem,
  }
}
