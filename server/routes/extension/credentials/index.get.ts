import { defineApiRoute } from '../../../http/define-route'
import { listUploadCredentials } from '../../../extension/credentials'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'uploadCredentialList' },
    summary: 'The browser extensions connected to you: their sites, when each was last used.',
    returns: '{ credentials: [{ id, sites, label, created_at, last_used_at? }] }',
  },
  ({ app, caller }) => listUploadCredentials(app, caller.tenant_id),
)
