import { getRouterParam } from 'h3'
import { getClientAddress } from '../../http/auth'
import { defineApiRoute } from '../../http/define-route'
import { decidePermit } from '../../permits/approval'

export default defineApiRoute(
  {
    auth: 'owner',
    summary: 'Approve or deny, once, bound to manifest_sha256.',
    body: 'approve',
    returns: '{ id, status: "completed" | "denied", permit_id }',
  },
  ({ event, app, caller, body }) =>
    decidePermit(app, caller, getRouterParam(event, 'id') ?? '', body, getClientAddress(event)),
)
