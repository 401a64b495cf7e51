/**
 * The upstream's answer as the agent reads it: a redirect is data (never followed, so a secret
 * goes nowhere else), a non-2xx status is an `upstream_status` failure carrying the (redacted,
 * truncated) body, and a 2xx body is decoded as the capability declares — JSON, text or base64.
 * Redaction happens on what the agent will read, after the decoding the gateway does: bytes
 * before base64, strings after JSON parsing (rule 9).
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
    return { status, location: redact.text(String(response.headers.location ?? '')) }
  }
  if (status < 200 || status >= 300) {
    const text = errorBody(response.body, redact)
    const body = text.length > ERROR_BODY_MAX ? text.slice(0, ERROR_BODY_MAX) + '…' : text
    fail('upstream_status', { detail: `HTTP ${status}: ${body}`, status })
  }
  if (capability.response === 'binary') return redact.bytes(response.body).toString('base64')
  const text = response.body.toString('utf8')
  if (capability.response === 'text') return redact.text(text)
  if (text.trim() === '') return null
  const parsed = parseJson(text)
  return parsed.ok ? redact.json(parsed.value) : redact.text(text)
}

/** An error body as text: JSON re-serialised after its strings are redacted, else redacted text. */
function errorBody(body: Buffer, redact: Redactor): string {
  const text = body.toString('utf8')
  const parsed = parseJson(text)
  return parsed.ok ? JSON.stringify(redact.json(parsed.value)) : redact.text(text)
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}
