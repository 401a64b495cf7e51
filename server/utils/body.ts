/**
 * Reading request bodies: JSON only, size capped before any byte is buffered past the cap,
 * parsed without coercion, nesting depth and dangerous keys checked iteratively (no recursion,
 * so hostile nesting cannot overflow the stack), then handed to a schema assertion.
 */
import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'
import { fail } from './errors'
import { LIMITS } from './limits'

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

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

/** Depth cap and forbidden keys over the parsed value, iteratively. */
export function assertPlainJson(value: unknown, maxDepth: number = LIMITS.JSON_MAX_DEPTH): void {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length) {
    const [node, depth] = stack.pop()!
    if (node === null || typeof node !== 'object') continue
    if (depth > maxDepth) fail('TOO_DEEP', { details: { max_depth: maxDepth } })
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1])
      continue
    }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) fail('FORBIDDEN_KEY')
      stack.push([(node as Record<string, unknown>)[key], depth + 1])
    }
  }
}

// C0/C1 controls (but tab, LF, CR), bidi controls and zero-width characters (IN-17).
const INVISIBLE =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/

/** Every string (keys too) in text an approver will read must render as what it is. */
export function assertVisibleText(value: unknown): void {
  const stack: unknown[] = [value]
  while (stack.length) {
    const node = stack.pop()
    if (typeof node === 'string') {
      if (INVISIBLE.test(node)) fail('INVISIBLE_CHARACTERS')
    } else if (Array.isArray(node)) {
      stack.push(...node)
    } else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) stack.push(key, child)
    }
  }
}
