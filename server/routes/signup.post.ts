import { signUp } from '../accounts/tenants'
import { getClientAddress } from '../http/auth'
import { defineApiRoute } from '../http/define-route'
import { getPublicOrigin } from '../http/origin'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 201: 'signupAnswer' },
    summary: 'Create an account; the token is shown once.',
    body: 'signup',
    bodyOptional: true,
    status: 201,
    returns: '{ tenant_id, role, token, jwt, api_key, tee_url, message }',
  },
  ({ event, app, body }) =>
    signUp(app, body, {
      clientAddress: getClientAddress(event, app),
      publicOrigin: getPublicOrigin(event, app),
    }),
)
