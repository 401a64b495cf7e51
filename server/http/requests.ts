/**
 * Every request gets an id — the client's `X-Request-Id` when it is short and plain, else a new
 * one — echoed in the `X-Request-Id` header of its answer and in error bodies, and one log line
 * when its answer ends: method, route pattern (never the path: links carry tokens in their
 * query), status, duration, request id, tenant id, and the error code of a refusal.
 */
import { randomUUID } from 'node:crypto'
import type { H3Event } from 'h3'
import { useLogger } from '../telemetry/logger'
import { httpRequestSeconds, httpRequests, refusals } from '../telemetry/metrics'

/** What a client may choose as its request id: bounded, and safe in a header and a log line. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/

interface RequestTelemetry {
  id: string
  started: number
  tenantId?: string
  errorCode?: string
}

const TELEMETRY = Symbol('oauth3.request')
type WithTelemetry = H3Event & { [TELEMETRY]?: RequestTelemetry }

/** At the start of a request: its id, in the answer's headers from the first byte on. */
export function beginRequest(event: H3Event): void {
  const given = event.node.req.headers['x-request-id']
  const id = typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID()
  const telemetry: RequestTelemetry = { id, started: performance.now() }
  ;(event as WithTelemetry)[TELEMETRY] = telemetry
  const response = event.node.res
  response.setHeader('x-request-id', id)
  response.once('close', () => endRequest(event, telemetry))
}

export function readRequestId(event: H3Event): string | undefined {
  return (event as WithTelemetry)[TELEMETRY]?.id
}

/** The authenticated caller, for the request's log line. */
export function noteTenant(event: H3Event, tenantId: string): void {
  const telemetry = (event as WithTelemetry)[TELEMETRY]
  if (telemetry) telemetry.tenantId = tenantId
}

/** The error code a request was answered with, for its log line and the refusal counter. */
export function noteErrorCode(event: H3Event, code: string): void {
  const telemetry = (event as WithTelemetry)[TELEMETRY]
  if (telemetry) telemetry.errorCode = code
}

function endRequest(event: H3Event, telemetry: RequestTelemetry): void {
  const response = event.node.res
  const seconds = (performance.now() - telemetry.started) / 1000
  const route = (event.context.matchedRoute as { path?: string } | undefined)?.path ?? 'unmatched'
  const method = event.method
  // A client that left before the answer ended: logged as such, not with a status it never got.
  const status = response.writableFinished ? response.statusCode : 499
  httpRequests.inc([method, route, String(status)])
  httpRequestSeconds.observe(seconds, [method, route])
  if (status === 429 && telemetry.errorCode) refusals.inc([telemetry.errorCode])
  useLogger().info(
    {
      req_id: telemetry.id,
      method,
      route,
      status,
      ms: Math.round(seconds * 10_000) / 10,
      ...(telemetry.tenantId ? { tenant: telemetry.tenantId } : {}),
      ...(telemetry.errorCode ? { code: telemetry.errorCode } : {}),
    },
    'request',
  )
}
