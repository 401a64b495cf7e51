/**
 * Any thrown value as the answer a client gets: a catalog API error as itself, h3's own errors
 * (unknown route, bad URL, oversized body) as their catalog equivalents, anything else as a
 * generic INTERNAL — never a stack trace.
 */
import type { H3Error } from 'h3'
import { ERROR_CATALOG, isApiError, type ApiErrorCode, type ErrorBody } from '../../core/errors'

export interface ErrorResponse {
  status: number
  body: ErrorBody
  retryAfterSeconds?: number
  /** Not a catalog error: a bug or an outage the operator should see in the log. */
  unexpected: boolean
}

/** h3 wraps what a handler throws; the catalog error is then its cause. */
export function toErrorResponse(error: unknown): ErrorResponse {
  const cause = isApiError(error) ? error : (error as H3Error | undefined)?.cause
  if (isApiError(cause)) {
    const body: ErrorBody = { error: cause.message, code: cause.code }
    if (cause.details) body.details = cause.details
    return {
      status: cause.httpStatus!,
      body,
      ...(cause.retryAfterSeconds ? { retryAfterSeconds: cause.retryAfterSeconds } : {}),
      unexpected: false,
    }
  }
  const status = (error as H3Error | undefined)?.statusCode
  if (status === 404) return answer('ROUTE_NOT_FOUND')
  if (status === 405) return answer('METHOD_NOT_ALLOWED')
  if (status === 413) return answer('BODY_TOO_LARGE')
  if (status === 400) return answer('INVALID_BODY')
  return { ...answer('INTERNAL'), unexpected: true }
}

function answer(code: ApiErrorCode): ErrorResponse {
  const entry = ERROR_CATALOG[code]
  return { status: entry.status, body: { error: entry.message, code }, unexpected: false }
}
