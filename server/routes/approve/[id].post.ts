import { getRouterParam } from 'h3'
import { fail } from '../../../core/errors'
import { getClientAddress } from '../../http/auth'
import { defineApiRoute } from '../../http/define-route'
import { ceremonyRequestOf } from '../../http/sessions'
import { decidePermit } from '../../permits/approval'

export default defineApiRoute(
  {
    auth: 'owner-or-passkey',
    answers: { 200: 'approveAnswer' },
    summary:
      'Approve or deny, once, bound to manifest_sha256: with an owner token, or a passkey assertion for this decision (POST /passkeys/options).',
    body: 'approve',
    returns: '{ id, status: "completed" | "denied", permit_id }',
  },
  async ({ event, app, caller, body }) => {
    const requestId = getRouterParam(event, 'id') ?? ''
    let owner = caller
    if (owner && owner.role !== 'owner')
      fail('FORBIDDEN_ROLE', { details: { required_role: 'owner' } })
    if (!owner && body.passkey) {
      // Loaded only for a passkey decision: bearer-token decisions never pay for WebAuthn.
      const { ownerOfDecision } = await import('../../passkeys/ceremonies')
      owner = await ownerOfDecision(
        app,
        { request_id: requestId, manifest_sha256: body.manifest_sha256, action: body.action },
        body.passkey,
        ceremonyRequestOf(event, app),
      )
    }
    if (!owner) return fail('UNAUTHORIZED')
    return decidePermit(app, owner, requestId, body, getClientAddress(event, app))
  },
)
