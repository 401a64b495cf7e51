import { defineApiRoute } from '../../http/define-route'
import { sendPage } from '../../http/page'
import { readQueryString } from '../../http/query'
import { extensionConnectPage } from '../../web/pages/extension-connect'

export default defineApiRoute(
  {
    auth: 'none',
    query: ['pairing'],
    summary: 'The owner connects the browser extension (a page).',
    returns: 'An HTML page.',
    produces: 'text/html',
    page: true,
  },
  ({ event, app }) =>
    sendPage(event, app, (context) =>
      extensionConnectPage(context, readQueryString(event, 'pairing') ?? ''),
    ),
)
