/** Every failure the SDK raises: the server's answer (status, stable code), or its own checks. */
export class OAuth3Error extends Error {
  override readonly name = 'OAuth3Error'
  constructor(
    /** The HTTP status, or 0 for a failure found by the SDK itself (a receipt, a timeout). */
    readonly status: number,
    /** The server's stable code (docs/errors.md), or the SDK's own: RECEIPT_INVALID, ATTESTATION_FAILED. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}
