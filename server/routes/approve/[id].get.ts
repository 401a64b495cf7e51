import { getRouterParam, type H3Event } from 'h3'
import type { Tenant } from '../../accounts/tenants'
import type { App } from '../../app'
import { getClientAddress } from '../../http/auth'
import { defineApiRoute } from '../../http/define-route'
import { readQueryString } from '../../http/query'
import { readApproval } from '../../permits/approval'
import { approvalPage } from '../../web/pages/approval'

/** What the approver brings: the request id, the link's token, who they are. */
const linkOf = (event: H3Event, app: App, viewer: Tenant | null) => ({
  requestId: getRouterParam(event, 'id') ?? '',
  token: readQueryString(event, 'token'),
  clientAddress: getClientAddress(event, app),
  viewer,
})

export default defineApiRoute(
  {
    auth: 'approval-link',
    query: ['token'],
    answers: { 200: 'approvalView' },
    summary:
      'The permit request as the approver sees it (?token= from approval_url; a browser gets the approval page).',
    returns:
      '{ id, status, agent, scope_request: { capabilities, secrets, networks, … }, manifest_sha256 }',
  },
  ({ event, app, caller }) => readApproval(app, linkOf(event, app, caller)),
  ({ event, app, caller }) => approvalPage(app, linkOf(event, app, caller)),
)
