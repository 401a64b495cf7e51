/**
 * status_url carries a read-only capability for one request, so that a bare `fetch(status_url)`
 * works (the product page's own snippet sends no header). The token is an HMAC of the request id
 * under a key derived for this purpose only: nothing is stored, every instance computes the same
 * link, and a retried request gets the very same URL. It reads that request's status, nothing else.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { App } from '../app'
import { isTokenShaped } from './tokens'

const PURPOSE = 'oauth3/status-link/v1'

function statusToken(app: App, requestId: string): string {
  const mac = createHmac('sha256', app.keys.derivedKey(PURPOSE))
    .update(requestId)
    .digest('base64url')
  return `oa3_status_${mac}`
}

/** The status_url handed out for a permit request or an execution. */
export function statusUrlFor(app: App, publicOrigin: string, requestId: string): string {
  return `${publicOrigin}/execute/${requestId}/status?wait=true&token=${statusToken(app, requestId)}`
}

export function isStatusTokenFor(app: App, token: unknown, requestId: string): boolean {
  if (!isTokenShaped(token, 'status')) return false
  return timingSafeEqual(Buffer.from(token), Buffer.from(statusToken(app, requestId)))
}
