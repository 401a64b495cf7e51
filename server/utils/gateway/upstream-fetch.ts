/**
 * The one place the host talks to the outside world for a guest (named loudly on purpose).
 * Redirects are never followed, connections go only to public addresses (unless the operator's
 * upstream map points an origin at a local server), the request body, the decoded response and
 * the total time are capped, and the revoke signal aborts everything.
 */
import http from 'node:http'
import https from 'node:https'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type { Readable } from 'node:stream'
import { publicOnlyLookup } from './address-policy'
import { CapabilityCallError } from './errors'
import type { UpstreamRequest } from './build-request'

export interface UpstreamResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export interface FetchLimits {
  timeoutMs: number
  maxResponseBytes: number
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' }),
}

/**
 * `connectTo` is the origin actually dialled: the capability's own origin, or the operator's
 * mapped local origin (then, and only then, loopback is allowed).
 */
export function unsafeHostFetch(
  request: UpstreamRequest,
  connectTo: { origin: string; mapped: boolean },
  limits: FetchLimits,
  signal: AbortSignal,
): Promise<UpstreamResponse> {
  const target = new URL(connectTo.origin)
  const secure = target.protocol === 'https:'
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CapabilityCallError('revoked: the execution ended'))
    let settled = false
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      outgoing.destroy()
      reject(error)
    }
    const onAbort = () => fail(new CapabilityCallError('revoked: the execution ended'))
    const timer = setTimeout(
      () =>
        fail(
          new CapabilityCallError(
            `upstream_timeout: no complete answer within ${limits.timeoutMs} ms`,
          ),
        ),
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
    outgoing.on('error', (error) => fail(describeNetworkError(error)))
    outgoing.on('response', (response) => {
      const decoded = decode(response)
      const chunks: Buffer[] = []
      let size = 0
      decoded.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > limits.maxResponseBytes) {
          response.destroy()
          fail(
            new CapabilityCallError(
              `response_too_large: the decoded response is over ${limits.maxResponseBytes} bytes`,
            ),
          )
          return
        }
        chunks.push(chunk)
      })
      decoded.on('error', () =>
        fail(new CapabilityCallError('upstream_error: the response could not be decoded')),
      )
      decoded.on('end', () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks, size),
        })
      })
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

function describeNetworkError(error: NodeJS.ErrnoException): Error {
  if (error instanceof CapabilityCallError) return error
  if ((error as { code?: string }).code === 'blocked_address')
    return new CapabilityCallError(error.message)
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
    return new CapabilityCallError('upstream_unreachable: the host name does not resolve')
  if (error.code === 'ECONNREFUSED')
    return new CapabilityCallError('upstream_unreachable: the connection was refused')
  return new CapabilityCallError('upstream_error: the upstream connection failed')
}
