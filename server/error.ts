/**
 * The one error handler: every error, for every client (browsers included), is JSON
 * `{ error, code, details? }`. Unexpected errors are logged without request data and answered as a
 * generic 500 — never a stack trace.
 */
import { defineNitroErrorHandler } from 'nitropack/runtime'
import { setResponseHeader, setResponseStatus } from 'h3'
import { toErrorResponse } from './http/errors'

export default defineNitroErrorHandler((error, event) => {
  const { status, body, retryAfterSeconds, unexpected } = toErrorResponse(error)
  if (unexpected) {
    console.error(
      `[oauth3] ${event.method} ${event.path.split('?')[0]} failed:`,
      error.cause ?? error,
    )
  }
  setResponseStatus(event, status)
  setResponseHeader(event, 'content-type', 'application/json; charset=utf-8')
  setResponseHeader(event, 'cache-control', 'no-store')
  if (retryAfterSeconds) setResponseHeader(event, 'retry-after', retryAfterSeconds)
  event.node.res.end(JSON.stringify(body))
})
