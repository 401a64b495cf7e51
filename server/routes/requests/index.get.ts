import { defineApiRoute } from '../../http/define-route'
import { getPublicOrigin } from '../../http/origin'
import { listPendingRequests } from '../../permits/pending'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'pendingRequests' },
    summary:
      'Pending permit requests from the agents bound to this owner, newest first (decide them at review_url).',
    returns:
      '{ requests: [{ request_id, agent: { tenant_id, name }, description, capabilities, created_at, expires_at, review_url }] }',
  },
  ({ event, app, caller }) => listPendingRequests(app, caller, getPublicOrigin(event, app)),
)
