/**
 * Every request: its id and its log line when its answer ends (requests.ts), and the
 * headers on every answer: nothing is cached, framed, sniffed or leaked through Referer.
 */
import { defineEventHandler, setResponseHeaders } from 'h3'
import { beginRequest } from './requests'

export default defineEventHandler((event) => {
  beginRequest(event)
  setResponseHeaders(event, {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  })
})
