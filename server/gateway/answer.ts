/**
 * The upstream's answer as the agent reads it: a redirect is data (never followed, so a secret
 * goes nowhere else), a non-2xx status is an `upstream_status` failure carrying the (redacted,
 * truncated) body, and a 2xx body is decoded as the capability declares — JSON, text or base64 —
 * with every secret redacted.
 */
import { fail } from '../../core/errors'
import type { NormalizedCapability } from '../../core/capabilities/plugin'
import type { Redactor } from './redact'
import type { UpstreamResponse } from './upstream-fetch'

const ERROR_BODY_MAX = 2000

export function decodeAnswer(
  capability: NormalizedCapability,
  response: UpstreamResponse,
  redact: Redactor,
): unknown {
  const { status } = response
  if (status >= 300 && status < 400) {
    return { status, location: redact(String(response.headers.location ?? '')) }
  }
  if (status < 200 || status >= 300) {
    const text = redact(response.body.toString('utf8'))
    const body = text.length > ERROR_BODY_MAX ? text.slice(0, ERROR_BODY_MAX) + '…' : text
    fail('upstream_status', { detail: `HTTP ${status}: ${body}`, status })
  }
  if (capability.response === 'binary') return redact(response.body.toString('base64'))
  const text = redact(response.body.toString('utf8'))
  if (capability.response === 'text') return text
  if (text.trim() === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
