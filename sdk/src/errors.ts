/**
 * Every failure the SDK raises: the server's answer (status, stable code), a network failure, or
 * its own checks — one class, with the underlying error as `cause`.
 */
export class OAuth3Error extends Error {
  override readonly name = 'OAuth3Error'
  constructor(
    /** The HTTP status, or 0 when no answer came (network) or the SDK found it (a receipt). */
    readonly status: number,
    /**
     * The server's stable code (docs/errors.md), or the SDK's own: NETWORK_ERROR, INVALID_URL,
     * INVALID_RESPONSE, NO_TOKEN, STREAM_ENDED, RECEIPT_INVALID, ATTESTATION_FAILED.
     */
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * A request that got no answer, in words: which URL, and why — refused, no such host, a TLS
 * handshake with a server that speaks plain HTTP, a reset, a timeout.
 */
export function networkError(url: string, error: unknown): OAuth3Error {
  const reason = describeCause(error)
  return new OAuth3Error(0, 'NETWORK_ERROR', `cannot reach ${url}: ${reason}`, undefined, {
    cause: error,
  })
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running on that port?)',
  ENOTFOUND: 'no such host (DNS lookup failed)',
  EAI_AGAIN: 'DNS lookup failed for now (temporary)',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ERR_SSL_WRONG_VERSION_NUMBER:
    'the TLS handshake failed: the server does not speak https (try http://)',
  EPROTO: 'the TLS handshake failed: the server does not speak https (try http://)',
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's TLS certificate cannot be verified",
}

function describeCause(error: unknown): string {
  // fetch failures wrap the socket's error as `cause`, sometimes twice.
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown }
    if (typeof code === 'string' && REASONS[code]) return REASONS[code]
    if (typeof message === 'string' && /wrong version number|packet length too long/i.test(message))
      return REASONS.ERR_SSL_WRONG_VERSION_NUMBER
    if ((current as Error).name === 'AbortError') return 'aborted'
    const next = (current as { cause?: unknown }).cause
    if (!next) {
      return typeof code === 'string'
        ? `${code}${typeof message === 'string' ? ` (${message})` : ''}`
        : typeof message === 'string'
          ? message
          : String(current)
    }
    current = next
  }
  return String(error)
}
