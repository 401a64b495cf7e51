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

async function readCappedText(event: H3Event, maxBytes: number): Promise<string> {
  const req = event.node.req
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > maxBytes) rejectTooLarge(event)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) rejectTooLarge(event)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/** Answer 413 and close the connection, so the rest of a huge body is never read. */
function rejectTooLarge(event: H3Event): never {
  event.node.res.setHeader('connection', 'close')
  event.node.res.once('finish', () => event.node.req.socket?.destroy())
  fail('BODY_TOO_LARGE', { details: { max_bytes: LIMITS.BODY_MAX_BYTES } })
}
