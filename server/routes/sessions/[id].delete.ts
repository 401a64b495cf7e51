import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../http/define-route'
import { revokePermit } from '../../permits/sessions'

export default defineApiRoute(
  {
    auth: 'tenant',
    answers: { 200: 'permit' },
    summary: 'Revoke a permit (its owner or its agent).',
    returns: 'The permit, revoked.',
  },
  ({ event, app, caller }) => revokePermit(app, caller, getRouterParam(event, 'id') ?? ''),
)
