/**
 * A TDX quote, version 4 (Intel's public layout): a 48-byte header and a 584-byte TD report
 * (together: what the attestation key signs), the ECDSA-P256 signature and attestation key, then
 * the certification data — the Quoting Enclave's report, signed by the platform's PCK key, its
 * authentication data, and the PCK certificate chain (PEM).
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
}

export interface TdxQuote {
  version: number
  teeType: number
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
const BODY = 584
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
  if (version !== 4) throw new QuoteFormatError(`quote version ${version} is not 4`)
  if (keyType !== ECDSA_P256_KEY) throw new QuoteFormatError('the attestation key is not P-256')
  if (teeType !== TDX_TEE_TYPE) throw new QuoteFormatError('not a TDX quote')
  offset = HEADER
  const body = take(BODY)
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
    signedBytes: bytes.subarray(0, HEADER + BODY),
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
