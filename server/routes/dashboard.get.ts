import { defineApiRoute } from '../http/define-route'
import { sendPage } from '../http/page'
import { dashboardPage } from '../web/pages/dashboard'

export default defineApiRoute(
  {
    auth: 'none',
    summary: "The owner's dashboard (a page; sign in with a passkey).",
    returns: 'An HTML page.',
    produces: 'text/html',
    page: true,
  },
  ({ event, app }) => sendPage(event, app, dashboardPage),
)
