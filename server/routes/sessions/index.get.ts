import { defineApiRoute } from '../../http/define-route'
import { readPageQuery } from '../../http/query'
import { listPermits } from '../../permits/sessions'

export default defineApiRoute(
  {
    auth: 'tenant',
    query: ['limit', 'cursor'],
    answers: { 200: 'sessionsPage' },
    summary: 'Permits visible to the caller, newest first (?cursor=, ?limit=).',
    returns: '{ sessions: [permit, …], next_cursor }',
  },
  ({ event, app, caller }) => listPermits(app, caller, readPageQuery(event)),
)
