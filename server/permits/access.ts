/**
 * Who may see or use a permit. Every route that names a permit or a permit request reads it
 * here: the agent that asked and the owner that decided see it, an approval link reads its own
 * request, and anyone else gets 404 exactly like an unknown id (rule 14). Using a permit (to
 * execute, or for a capability call) also needs it in force.
 */
import { fail } from '../../core/errors'
import { LIMITS } from '../../core/limits'
import type { Tenant } from '../accounts/tenants'
import { isIdShaped } from '../accounts/tokens'
import type { App } from '../app'
import { assertUnderCount, countAttempt } from '../store/rate-limit'
import { isStatusTokenFor } from '../accounts/status-links'
import {
  isApprovalTokenFor,
  permitStatusOf,
  readPermit,
  readPermitByRequest,
  type PermitRecord,
} from './records'

/** Who is asking: a bearer token's tenant, an approval link's token, or both. */
export interface Viewer {
  tenant: Tenant | null
  approvalToken?: string
}

/** The agent that asked, and the owner that decided, see a permit. */
export function canView(permit: PermitRecord, tenant: Tenant): boolean {
  if (tenant.role === 'agent') return permit.agent_id === tenant.tenant_id
  return permit.owner_id === tenant.tenant_id && permit.decided_at !== undefined
}

/**
 * The permit `permitId` as `viewer` may see it (`view`), or as its agent may run under it now
 * (`execute`: approved, not expired, not revoked, else 403 with the reason).
 */
export async function readPermitFor(
  app: App,
  viewer: Viewer,
  permitId: string,
  need: 'view' | 'execute',
): Promise<PermitRecord> {
  if (!viewer.tenant && viewer.approvalToken === undefined) fail('UNAUTHORIZED')
  const permit = isIdShaped(permitId, 'permit') ? await readPermit(app, permitId) : null
  if (!permit) fail('NOT_FOUND')
  if (need === 'execute') {
    if (viewer.tenant?.role !== 'agent' || permit.agent_id !== viewer.tenant.tenant_id)
      fail('NOT_FOUND')
    assertInForce(permit)
    return permit
  }
  if (viewer.tenant && canView(permit, viewer.tenant)) return permit
  const { approvalToken } = viewer
  if (
    approvalToken !== undefined &&
    (await isApprovalTokenFor(app, approvalToken, permit.request_id))
  ) {
    return permit
  }
  return fail('NOT_FOUND')
}

/** The permit request behind a status_url, if the viewer's token or the link's may read it. */
export async function readRequestFor(
  app: App,
  viewer: { tenant: Tenant | null; statusToken?: string },
  requestId: string,
) {
  const permit = isIdShaped(requestId, 'preq') ? await readPermitByRequest(app, requestId) : null
  if (!permit) return null
  if (viewer.tenant && canView(permit, viewer.tenant)) return permit
  return isStatusTokenFor(app, viewer.statusToken, requestId) ? permit : null
}

/**
 * The permit request an approval link names, if its token is right. Wrong tokens are counted per
 * request and per client address and, past a limit, refused with 429 (AP-06).
 */
export async function readRequestWithApprovalToken(
  app: App,
  requestId: string,
  token: unknown,
  clientAddress: string,
): Promise<PermitRecord> {
  if (!isIdShaped(requestId, 'preq')) fail('NOT_FOUND')
  const windowMs = LIMITS.APPROVAL_FAILURE_WINDOW_MS
  const perRequest = { name: 'approval-failures', subject: requestId, windowMs }
  const perAddress = { name: 'approval-failures-ip', subject: clientAddress, windowMs }
  await assertUnderCount(app.store, perRequest, LIMITS.APPROVAL_FAILURES_MAX)
  await assertUnderCount(app.store, perAddress, LIMITS.APPROVAL_FAILURES_MAX * 5)
  const permit = await readPermitByRequest(app, requestId)
  if (!permit) fail('NOT_FOUND')
  if (!(await isApprovalTokenFor(app, token, requestId))) {
    await countAttempt(app.store, perRequest)
    await countAttempt(app.store, perAddress)
    fail('INVALID_APPROVAL_TOKEN')
  }
  if (permit.state === 'pending' && Date.now() >= permit.request_expires_at)
    fail('APPROVAL_EXPIRED')
  return permit
}

/**
 * The permit request as its approver may read and decide it: with the approval link's token, or,
 * without one, by the owner the requesting agent is bound to (only that owner decides it anyway,
 * AP-13). Anything else is a wrong token, counted like one (AP-06).
 */
export async function readRequestForApprover(
  app: App,
  approver: { requestId: string; token: unknown; owner: Tenant | null; clientAddress: string },
): Promise<PermitRecord> {
  if (approver.token === undefined && approver.owner) {
    const permit = isIdShaped(approver.requestId, 'preq')
      ? await readPermitByRequest(app, approver.requestId)
      : null
    if (permit && permit.owner_id === approver.owner.tenant_id) return permit
  }
  return readRequestWithApprovalToken(
    app,
    approver.requestId,
    approver.token,
    approver.clientAddress,
  )
}

/**
 * At each capability call: the permit as it is now, if still in force. Revocation and expiry
 * reach running executions (AP-12).
 */
export async function readPermitInForce(app: App, permitId: string): Promise<PermitRecord> {
  const current = await readPermit(app, permitId)
  if (!current || permitStatusOf(current) !== 'active') {
    fail('permit_inactive', { detail: 'the permit is no longer in force' })
  }
  return current
}

function assertInForce(permit: PermitRecord) {
  const status = permitStatusOf(permit)
  if (status === 'revoked') fail('PERMIT_REVOKED')
  if (status === 'expired') fail('PERMIT_EXPIRED')
  if (status !== 'active') fail('PERMIT_NOT_APPROVED')
}
