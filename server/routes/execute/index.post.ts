import { getRequestHeader } from 'h3'
import { fail } from '../../../core/errors'
import { LIMITS } from '../../../core/limits'
import { executeCode } from '../../executions/submit'
import { defineApiRoute } from '../../http/define-route'
import { getPublicOrigin } from '../../http/origin'

export default defineApiRoute(
  {
    auth: 'agent',
    summary:
      'Run code (an async function body) under a permit, or with no capabilities; answers status_url. An Idempotency-Key header (or idempotency_key) answers a retry with the first execution.',
    body: 'executeRequest',
    status: 202,
    returns: '{ request_id, status: "approved", permit_id?, status_url }',
  },
  ({ event, app, caller, body }) => {
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
    return executeCode(app, caller, body, {
      publicOrigin: getPublicOrigin(event, app),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    })
  },
)
