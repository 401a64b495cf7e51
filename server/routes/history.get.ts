import { LIMITS } from '../../core/limits'
import { readHistory } from '../executions/history'
import { defineApiRoute } from '../http/define-route'
import { getPublicOrigin } from '../http/origin'
import { readQueryInteger } from '../http/query'

export default defineApiRoute(
  {
    auth: 'agent',
    query: ['limit'],
    answers: { 200: 'historyPage' },
    summary: "The caller's recent executions, newest first (?limit=N, at most 200).",
    returns: '{ executions: [{ request_id, status, created_at, finished_at?, status_url, … }] }',
  },
  ({ event, app, caller }) =>
    readHistory(app, caller, {
      limit: readQueryInteger(event, 'limit', 1, LIMITS.PAGE_SIZE_MAX) ?? LIMITS.PAGE_SIZE_DEFAULT,
      publicOrigin: getPublicOrigin(event, app),
    }),
)
