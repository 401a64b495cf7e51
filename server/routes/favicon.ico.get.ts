import { setResponseHeaders } from 'h3'
import { defineApiRoute } from '../http/define-route'
import { faviconIco } from '../web/favicon'

export default defineApiRoute(
  {
    auth: 'none',
    summary: "The site's icon (ico).",
    returns: 'An icon.',
    page: true,
  },
  ({ event }) => {
    setResponseHeaders(event, {
      'content-type': 'image/x-icon',
      'cache-control': 'public, max-age=86400',
    })
    return faviconIco()
  },
)
