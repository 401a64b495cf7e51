import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../../http/define-route'
import { revokeUploadCredential } from '../../../extension/credentials'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'deleted' },
    summary: 'Disconnect a browser extension: its credential stops working at once.',
    returns: '{ deleted: true }',
  },
  ({ event, app, caller }) =>
    revokeUploadCredential(app, caller.tenant_id, getRouterParam(event, 'id') ?? ''),
)
