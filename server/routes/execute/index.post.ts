import { getRequestHeader, setResponseHeader } from 'h3'
import { fail } from '../../../core/errors'
import { LIMITS } from '../../../core/limits'
import { TERMINAL_STATUSES, waitForStatus } from '../../executions/status'
import { executeCode } from '../../executions/submit'
import { answerWithStatus, defineApiRoute } from '../../http/define-route'
import { getPublicOrigin } from '../../http/origin'
import { readPreferredWait } from '../../http/prefer'
import { clientGone } from '../../http/client-gone'

/** The longest `Prefer: wait=N` honoured, in seconds. */
const PREFER_WAIT_MAX_S = 60

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
    const idempotencyKey = getRequestHeader(event, 'idempotency-key')
    const max = LIMITS.IDEMPOTENCY_KEY_MAX_CHARS
    if (
      idempotencyKey !== undefined &&
      !(idempotencyKey.length <= max && /^[\x21-\x7e]+$/.test(idempotencyKey))
    ) {
      fail('INVALID_BODY', {
        details: { reason: `Idempotency-Key must be 1 to ${max} visible ASCII characters` },
      })
    }
    const accepted = await executeCode(app, caller, body, {
      publicOrigin: getPublicOrigin(event, app),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    })
    const waitSeconds = readPreferredWait(event, PREFER_WAIT_MAX_S)
    if (!waitSeconds) return accepted
    // Accepted is accepted: from here on nothing may turn the answer into an error a client would
    // retry. A held wait counts against the token's cap like any held request (rule 24); at the
    // cap the preference is not applied: the accepted answer comes at once.
    const release = app.longPolls.tryHold(caller.tenant_id, 'inline_wait')
    if (!release) return accepted
    const ended = await waitForStatus(app, { tenant: caller }, accepted.request_id, {
      timeoutMs: waitSeconds * 1000,
      signal: clientGone(event),
      holdSlot: false,
    })
      .catch(() => null)
      .finally(release)
    if (!ended || !TERMINAL_STATUSES.has(ended.status)) return accepted
    answerWithStatus(event, 200)
    setResponseHeader(event, 'preference-applied', `wait=${waitSeconds}`)
    return { ...ended, status_url: accepted.status_url }
  },
)
