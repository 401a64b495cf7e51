/**
 * Browsers and programs share URLs (`GET /`, `GET /approve/:id`): a request whose Accept header
 * prefers `text/html` to JSON gets the page; anything else (curl's `*\/*`, fetch's default, an
 * SDK asking for JSON) gets the API's answer.
 */
import { getRequestHeader, type H3Event } from 'h3'

export function wantsHtml(event: H3Event): boolean {
  const accept = getRequestHeader(event, 'accept') ?? ''
  const quality = (type: string) => {
    let best = -1
    for (const part of accept.split(',')) {
      const [media, ...params] = part.trim().toLowerCase().split(';')
      if (media !== type) continue
      const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)).find(Boolean)
      best = Math.max(best, q ? Number(q[1]) : 1)
    }
    return best
  }
  const htmlQuality = quality('text/html')
  return htmlQuality > 0 && htmlQuality >= quality('application/json')
}
