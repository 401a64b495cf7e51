/**
 * Reading request bodies: JSON only, size capped before any byte is buffered past the cap,
 * parsed without coercion, nesting depth and dangerous keys checked iteratively (no recursion,
 * so hostile nesting cannot overflow the stack), then handed to a schema assertion.
 */
import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'
import { fail } from '../../core/errors'
import { assertPlainJson } from '../../core/json-checks'
import { LIMITS } from '../../core/limits'

export async function readJsonBody<T>(
  event: H3Event,
  assert: (value: unknown) => T,
  maxBytes: number = LIMITS.BODY_MAX_BYTES,
): Promise<T> {
  const type = getRequestHeader(event, 'content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) fail('UNSUPPORTED_MEDIA_TYPE')
  const text = await readCappedText(event, maxBytes)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    fail('INVALID_JSON')
  }
  assertPlainJson(value)
  return assert(value)
}

/** An empty body counts as `{}` for endpoints whose fields are all optional. */
export async function readOptionalJsonBody<T>(
  event: H3Event,
  assert: (value: unknown) => T,
): Promise<T> {
  const length = getRequestHeader(event, 'content-length')
  const chunked = getRequestHeader(event, 'transfer-encoding')
  if ((length === undefined || length === '0') && !chunked) return assert({})
  return readJsonBody(event, assert)
}

type Reading = { text: string } | { tooLarge: true } | { broken: true }

const DRAIN_MAX_BYTES = 1024 * 1024
const DRAIN_MAX_MS = 1000

async function readCappedText(event: H3Event, maxBytes: number): Promise<string> {
  const declared = Number(event.node.req.headers['content-length'] ?? NaN)
  const reading =
    declared > maxBytes ? { tooLarge: true as const } : await readUpTo(event, maxBytes)
  if ('tooLarge' in reading) {
    drainAfterAnswer(event)
    fail('BODY_TOO_LARGE', { details: { max_bytes: maxBytes } })
  }
  if ('broken' in reading)
    fail('INVALID_BODY', { details: { reason: 'the body did not arrive whole' } })
  return reading.text
}

/**
 * Once the 413 is written, let a client that is still sending finish (reading and dropping at
 * most DRAIN_MAX_BYTES for at most DRAIN_MAX_MS): the client reads its answer instead of a reset.
 * A body larger still is never read whole: the connection is closed.
 */
function drainAfterAnswer(event: H3Event) {
  const { req, res } = event.node
  res.once('finish', () => {
    let drained = 0
    const stop = (destroy: boolean) => {
      clearTimeout(timer)
      req.off('data', onData).off('end', onEnd)
      if (destroy) req.socket?.destroy()
    }
    const onData = (chunk: Buffer) => {
      drained += chunk.length
      if (drained > DRAIN_MAX_BYTES) stop(true)
    }
    const onEnd = () => stop(false)
    const timer = setTimeout(() => stop(true), DRAIN_MAX_MS)
    req.on('data', onData).once('end', onEnd).resume()
  })
}

/**
 * The body, until it ends or passes `maxBytes`. Past the cap the stream is paused, not destroyed:
 * the request (and its socket) must stay whole until the 413 is written.
 */
function readUpTo(event: H3Event, maxBytes: number): Promise<Reading> {
  const req = event.node.req
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const settle = (reading: Reading) => {
      req.off('data', onData).off('end', onEnd).off('error', onError)
      resolve(reading)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        req.pause()
        settle({ tooLarge: true })
      } else chunks.push(chunk)
    }
    const onEnd = () => settle({ text: Buffer.concat(chunks, size).toString('utf8') })
    const onError = () => settle({ broken: true })
    req.on('data', onData).on('end', onEnd).on('error', onError)
  })
}
