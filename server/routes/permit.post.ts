import { defineApiRoute } from '../http/define-route'
import { getPublicOrigin } from '../http/origin'
import { requestPermit } from '../permits/request'

export default defineApiRoute(
  {
    auth: 'agent',
    answers: { 202: 'permitAnswer' },
    summary: 'Request a permit for capabilities; answers approval_url and status_url.',
    body: 'permitRequest',
    status: 202,
    returns:
      '{ request_id, status: "pending_permit", permit_id, approval_url, status_url, capabilities, manifest_sha256 }',
  },
  ({ event, app, caller, body }) => requestPermit(app, caller, body, getPublicOrigin(event, app)),
)
