/**
 * The one error handler: every error, for every client (browsers included), is JSON
 * `{ error, code, details?, request_id }`. Unexpected errors are logged without request data and
 * answered as a generic 500 — never a stack trace.
 */
import { defineNitroErrorHandler } from 'nitropack/runtime'
import { setResponseHeader, setResponseStatus } from 'h3'
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
  event.node.res.end(JSON.stringify(body))
})
