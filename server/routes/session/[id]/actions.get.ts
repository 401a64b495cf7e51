import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../../http/define-route'
import { readPageQuery } from '../../../http/query'
import { readQueryString } from '../../../http/query'
import { listActions } from '../../../executions/permit-activity'

export default defineApiRoute(
  {
    auth: 'tenant-or-approval-link',
    query: ['token', 'limit', 'cursor'],
    answers: { 200: 'actionsPage' },
    summary:
      "A permit's activity: executions with their capability calls, newest first (?cursor=, ?limit=).",
    returns: '{ permit_id, actions: [{ request_id, status, calls, … }], next_cursor }',
  },
  ({ event, app, caller }) =>
    listActions(
      app,
      { tenant: caller, approvalToken: readQueryString(event, 'token') },
      getRouterParam(event, 'id') ?? '',
      readPageQuery(event),
    ),
)
