/**
 * The `Prefer` request header (RFC 7240): `wait=N` asks the server to answer once the work is done
 * if that takes at most N seconds. Preferences are hints: one that is malformed or unknown is
 * ignored, never an error. Several headers, or several preferences in one, are a comma list.
 */
import { getRequestHeader, type H3Event } from 'h3'
import { fail } from '../../core/errors'
import { LIMITS } from '../../core/limits'

/** Seconds asked for with `Prefer: wait=N`, capped at `maxSeconds`; undefined when not asked. */
export function readPreferredWait(event: H3Event, maxSeconds: number): number | undefined {
  const header = getRequestHeader(event, 'prefer')
  if (!header || header.length > 1024) return undefined
  for (const preference of header.split(',')) {
    const [token] = preference.split(';')
    const match = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*$/i.exec(token)
    if (match) return Math.min(Number(match[1]), maxSeconds)
  }
  return undefined
}

/** The Idempotency-Key header, when sent: 1 to IDEMPOTENCY_KEY_MAX_CHARS visible ASCII characters. */
export function readIdempotencyKey(event: H3Event): string | undefined {
  const key = getRequestHeader(event, 'idempotency-key')
  const max = LIMITS.IDEMPOTENCY_KEY_MAX_CHARS
  if (key !== undefined && !(key.length <= max && /^[\x21-\x7e]+$/.test(key))) {
    fail('INVALID_BODY', {
      details: { reason: `Idempotency-Key must be 1 to ${max} visible ASCII characters` },
    })
  }
  return key
}
