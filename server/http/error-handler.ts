/**
 * The one error handler: every error, for every client (browsers included), is JSON
 * `{ error, code, details?, request_id }`. Unexpected errors are logged without request data and
 * answered as a generic 500 — never a stack trace.
 */
import { defineNitroErrorHandler } from 'nitropack/runtime'
import { getRequestHeader, setResponseHeader, setResponseStatus, type H3Event } from 'h3'
import { toErrorResponse } from './errors'
import { noteErrorCode, readRequestId } from './requests'
import { useLogger } from '../telemetry/logger'

export default defineNitroErrorHandler((error, event) => {
  const { status, body, retryAfterSeconds, unexpected } = toErrorResponse(error)
  const requestId = readRequestId(event)
  if (unexpected) {
    const cause = (error.cause ?? error) as Error
    useLogger().error(
      { req_id: requestId, method: event.method, err: cause?.stack ?? String(cause) },
      'request failed unexpectedly',
    )
  }
  noteErrorCode(event, body.code)
  if (requestId) body.request_id = requestId
  setResponseStatus(event, status)
  setResponseHeader(event, 'content-type', 'application/json; charset=utf-8')
  setResponseHeader(event, 'cache-control', 'no-store')
  if (retryAfterSeconds) setResponseHeader(event, 'retry-after', retryAfterSeconds)
  if (status === 401) setResponseHeader(event, 'www-authenticate', bearerChallenge(event))
  event.node.res.end(JSON.stringify(body))
})

/**
 * The challenge of a 401 (RFC 6750): bearer tokens, and `invalid_token` when one was sent — a
 * request that sent none is told only which scheme to use.
 */
function bearerChallenge(event: H3Event): string {
  const sent = getRequestHeader(event, 'authorization') !== undefined
  return `Bearer realm="oauth3"${sent ? ', error="invalid_token"' : ''}`
}
