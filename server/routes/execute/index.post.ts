import { setResponseHeader } from 'h3'
import { PREFER_WAIT_MAX_S, waitInline } from '../../executions/inline-wait'
import { executeCode } from '../../executions/submit'
import { clientGone } from '../../http/client-gone'
import { answerWithStatus, defineApiRoute } from '../../http/define-route'
import { getPublicOrigin } from '../../http/origin'
import { readIdempotencyKey, readPreferredWait } from '../../http/prefer'

export default defineApiRoute(
  {
    auth: 'agent',
    headers: ['Prefer', 'Idempotency-Key'],
    answers: { 202: 'executeAccepted', 200: 'statusBody' },
    summary:
      'Run code (an async function body) under a permit, or with no capabilities; answers status_url. With `Prefer: wait=N` (N ≤ 60) an execution that ends within N seconds is answered 200 with its terminal status. An Idempotency-Key header (or idempotency_key) answers a retry with the first execution.',
    body: 'executeRequest',
    status: 202,
    returns:
      '{ request_id, status: "approved", permit_id?, status_url } — or, with Prefer: wait=N, 200 and the terminal status body with status_url',
  },
  async ({ event, app, caller, body }) => {
    const idempotencyKey = readIdempotencyKey(event)
    const accepted = await executeCode(app, caller, body, {
      publicOrigin: getPublicOrigin(event, app),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    })
    const waitSeconds = readPreferredWait(event, PREFER_WAIT_MAX_S)
    if (!waitSeconds) return accepted
    const ended = await waitInline(app, caller, accepted.request_id, {
      waitSeconds,
      signal: clientGone(event),
    })
    if (!ended) return accepted
    answerWithStatus(event, 200)
    setResponseHeader(event, 'preference-applied', `wait=${waitSeconds}`)
    return { ...ended, status_url: accepted.status_url }
  },
)
