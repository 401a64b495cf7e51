import { defineApiRoute } from '../http/define-route'
import { sendPage } from '../http/page'
import { signinPage } from '../web/pages/signin'

export default defineApiRoute(
  {
    auth: 'none',
    summary: 'Owner sign-in with a passkey (a page).',
    returns: 'An HTML page.',
    produces: 'text/html',
    page: true,
  },
  ({ event, app }) => sendPage(event, app, signinPage),
)
