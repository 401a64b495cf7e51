import { signUp } from '../accounts/tenants'
import { getClientAddress } from '../http/auth'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'none',
    summary: 'Create an account; the token is shown once.',
    body: 'signup',
    bodyOptional: true,
    status: 201,
    returns: '{ tenant_id, role, token, message }',
  },
  ({ event, app, body }) => signUp(app, body, getClientAddress(event)),
)
