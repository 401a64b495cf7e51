import { defineApiRoute } from '../../http/define-route'
import { fail } from '../../../core/errors'
import { endWebSession, isSameOriginRequest } from '../../http/sessions'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'signedOut' },
    summary: 'Sign out: ends the page session.',
    body: 'empty',
    bodyOptional: true,
    returns: '{ signed_out: true }',
  },
  async ({ event, app }) => {
    if (!isSameOriginRequest(event, app)) fail('CROSS_SITE_REQUEST')
    await endWebSession(event, app)
    return { signed_out: true }
  },
)
