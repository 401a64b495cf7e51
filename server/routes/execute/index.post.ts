import { executeCode } from '../../executions/submit'
import { defineApiRoute } from '../../http/define-route'
import { getPublicOrigin } from '../../http/origin'

export default defineApiRoute(
  {
    auth: 'agent',
    summary:
      'Run code (an async function body) under a permit, or with no capabilities; answers status_url.',
    body: 'executeRequest',
    status: 202,
    returns: '{ request_id, status: "approved", permit_id?, status_url }',
  },
  ({ event, app, caller, body }) => executeCode(app, caller, body, getPublicOrigin(event, app)),
)
