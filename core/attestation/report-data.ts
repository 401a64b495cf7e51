/**
 * What a quote's 64-byte report_data commits to: the server's signing key and the verifier's
 * fresh nonce, `sha512("oauth3-attestation-v1" ‖ signing public key (32 bytes) ‖ nonce)`.
 * A quote whose report_data is this value was produced for this key, now.
 */
import { concat, sha512, utf8 } from './bytes'

export const REPORT_DATA_DOMAIN = 'oauth3-attestation-v1'
/** Longest nonce a verifier may send, in bytes. */
export const NONCE_MAX_BYTES = 32

export function attestationReportData(
  signingKey: Uint8Array,
  nonce: Uint8Array,
): Promise<Uint8Array> {
  if (nonce.length > NONCE_MAX_BYTES) throw new Error(`the nonce is over ${NONCE_MAX_BYTES} bytes`)
  return sha512(concat(utf8(REPORT_DATA_DOMAIN), signingKey, nonce))
}
