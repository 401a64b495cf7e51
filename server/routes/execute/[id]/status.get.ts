import { getRouterParam } from 'h3'
import { LIMITS } from '../../../../core/limits'
import { readStatus, waitForStatus } from '../../../executions/status'
import { clientGone } from '../../../http/client-gone'
import { defineApiRoute } from '../../../http/define-route'
import { readQueryFlag, readQueryInteger, readQueryString } from '../../../http/query'

export default defineApiRoute(
  {
    auth: 'tenant-or-status-link',
    query: ['token', 'wait', 'timeout'],
    answers: { 200: 'statusBody' },
    summary:
      'Status of a permit request or execution; ?wait=true long-polls up to 120 s (&timeout=ms). status_url works as is, with no header.',
    returns: '{ request_id, status, permit_id?, created_at, finished_at?, result?, error? }',
  },
  async ({ event, app, caller }) => {
    const id = getRouterParam(event, 'id') ?? ''
    const viewer = { tenant: caller, statusToken: readQueryString(event, 'token') }
    const wait = readQueryFlag(event, 'wait')
    const timeoutMs =
      readQueryInteger(event, 'timeout', LIMITS.LONG_POLL_MIN_MS, Number.MAX_SAFE_INTEGER) ??
      LIMITS.LONG_POLL_MAX_MS
    if (!wait) return (await readStatus(app, viewer, id)).body
    return waitForStatus(app, viewer, id, {
      timeoutMs: Math.min(timeoutMs, LIMITS.LONG_POLL_MAX_MS),
      signal: clientGone(event),
    })
  },
)
