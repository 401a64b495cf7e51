import { getRouterParam } from 'h3'
import { getClientAddress } from '../../http/auth'
import { defineApiRoute } from '../../http/define-route'
import { readQueryString } from '../../http/query'
import { readApproval } from '../../permits/approval'

export default defineApiRoute(
  {
    auth: 'approval-link',
    summary: 'The permit request as the approver sees it (?token= from approval_url).',
    returns:
      '{ id, status, agent, scope_request: { capabilities, secrets, networks, … }, manifest_sha256 }',
  },
  ({ event, app, caller }) =>
    readApproval(app, {
      requestId: getRouterParam(event, 'id') ?? '',
      token: readQueryString(event, 'token'),
      clientAddress: getClientAddress(event),
      viewer: caller,
    }),
)
