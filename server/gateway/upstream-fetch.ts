/**
 * The one place the host talks to the outside world for a guest (named loudly on purpose).
 * Redirects are never followed, connections go only to public addresses (unless the operator's
 * upstream map points an origin at a local server), the decoded response and the total time are
 * capped, and the revoke signal aborts everything.
 */
import http from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type { UpstreamRequest } from '../../core/capabilities/plugin'
import { fail, type CallFailureCode } from '../../core/errors'
import { BLOCKED_ADDRESS, publicOnlyLookup } from './address-policy'

export interface UpstreamResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export interface FetchLimits {
  timeoutMs: number
  maxResponseBytes: number
}

/** Why the exchange ended without an answer. */
interface Refusal {
  refused: CallFailureCode
  detail: string
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' }),
}

const REVOKED: Refusal = { refused: 'revoked', detail: 'the execution ended' }

/**
 * `connectTo` is the origin actually dialled: the capability's own origin, or the operator's
 * mapped local origin (then, and only then, loopback is allowed).
 */
export async function unsafeHostFetch(
  request: UpstreamRequest,
  connectTo: { origin: string; mapped: boolean },
  limits: FetchLimits,
  signal: AbortSignal,
): Promise<UpstreamResponse> {
  const outcome = signal.aborted ? REVOKED : await exchange(request, connectTo, limits, signal)
  if ('refused' in outcome) fail(outcome.refused, { detail: outcome.detail })
  return outcome
}

function exchange(
  request: UpstreamRequest,
  connectTo: { origin: string; mapped: boolean },
  limits: FetchLimits,
  signal: AbortSignal,
): Promise<UpstreamResponse | Refusal> {
  const target = new URL(connectTo.origin)
  const secure = target.protocol === 'https:'
  return new Promise((resolve) => {
    let settled = false
    const settle = (outcome: UpstreamResponse | Refusal) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      if ('refused' in outcome) outgoing.destroy()
      resolve(outcome)
    }
    const onAbort = () => settle(REVOKED)
    const timer = setTimeout(
      () =>
        settle({
          refused: 'upstream_timeout',
          detail: `no complete answer within ${limits.timeoutMs} ms`,
        }),
      limits.timeoutMs,
    )
    signal.addEventListener('abort', onAbort, { once: true })

    const outgoing = (secure ? https : http).request({
      protocol: target.protocol,
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || (secure ? 443 : 80),
      method: request.method,
      path: request.url.pathname + request.url.search,
      headers: {
        ...request.headers,
        host: connectTo.mapped ? target.host : request.url.host,
        'accept-encoding': 'gzip, deflate, br',
      },
      agent: secure ? agents.https : agents.http,
      ...(connectTo.mapped ? {} : { lookup: publicOnlyLookup as never }),
    })
    outgoing.on('error', (error) => settle(describeNetworkError(error)))
    outgoing.on('response', (response) => {
      const decoded = decode(response)
      const chunks: Buffer[] = []
      let size = 0
      decoded.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > limits.maxResponseBytes) {
          response.destroy()
          settle({
            refused: 'response_too_large',
            detail: `the decoded response is over ${limits.maxResponseBytes} bytes`,
          })
          return
        }
        chunks.push(chunk)
      })
      decoded.on('error', () =>
        settle({ refused: 'upstream_error', detail: 'the response could not be decoded' }),
      )
      decoded.on('end', () =>
        settle({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks, size),
        }),
      )
    })
    outgoing.end(request.body)
  })
}

function decode(response: http.IncomingMessage): Readable {
  const encoding = String(response.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase()
  if (encoding === 'gzip' || encoding === 'x-gzip') return response.pipe(createGunzip())
  if (encoding === 'deflate') return response.pipe(createInflate())
  if (encoding === 'br') return response.pipe(createBrotliDecompress())
  return response
}

function describeNetworkError(error: NodeJS.ErrnoException): Refusal {
  if (error.code === BLOCKED_ADDRESS) return { refused: 'blocked_address', detail: error.message }
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
    return { refused: 'upstream_unreachable', detail: 'the host name does not resolve' }
  }
  if (error.code === 'ECONNREFUSED') {
    return { refused: 'upstream_unreachable', detail: 'the connection was refused' }
  }
  return { refused: 'upstream_error', detail: 'the upstream connection failed' }
}
