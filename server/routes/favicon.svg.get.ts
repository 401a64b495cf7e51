import { setResponseHeaders } from 'h3'
import { defineApiRoute } from '../http/define-route'
import { FAVICON_SVG } from '../web/favicon'

export default defineApiRoute(
  {
    auth: 'none',
    summary: "The site's icon (svg).",
    returns: 'An icon.',
    page: true,
  },
  ({ event }) => {
    setResponseHeaders(event, {
      'content-type': 'image/svg+xml',
      'cache-control': 'public, max-age=86400',
    })
    return FAVICON_SVG
  },
)
