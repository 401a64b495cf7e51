import { setResponseHeader } from 'h3'
import { defineApiRoute } from '../http/define-route'
import { renderGuide } from '../http/guide'
import { getPublicOrigin } from '../http/origin'
import { useApiRoutes } from '../http/route-index'
import { homePage } from '../web/pages/home'

export default defineApiRoute(
  {
    auth: 'none',
    summary: 'This guide (Markdown); a browser gets the home page.',
    returns: 'The guide for agents, with absolute URLs.',
    produces: 'text/markdown',
  },
  ({ event, app }) => {
    setResponseHeader(event, 'content-type', 'text/markdown; charset=utf-8')
    return renderGuide(getPublicOrigin(event, app), useApiRoutes())
  },
  homePage,
)
