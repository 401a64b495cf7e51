/**
 * The human step. The approval token (from approval_url) proves the link; the owner's bearer token
 * proves the human. A decision is one compare-and-set on the permit record, bound to the manifest
 * hash the human was shown: races, replays and changed manifests cannot produce a second or a
 * different grant (rule 12).
 */
import { fail } from '../../core/errors'
import type { ApproveRequest } from '../../schemas/types'
import { agentDecisionStep, getTenant, ownerAgentStep, type Tenant } from '../accounts/tenants'
import type { App } from '../app'
import {
  approvalSecretSteps,
  assertSecretValue,
  missingSecrets,
  syncedCookieSecrets,
} from '../vault/secrets'
import { readRequestForApprover } from './access'
import { decisionSteps, requestStatusOf, type PermitRecord } from './records'

/**
 * GET /approve/:id: the request an approval link names (or, without the link, the one a bound
 * agent sent its owner), as its approver reads it.
 */
export async function readApproval(
  app: App,
  link: { requestId: string; token: unknown; clientAddress: string; viewer: Tenant | null },
) {
  const permit = await readRequestForApprover(app, {
    requestId: link.requestId,
    token: link.token,
    owner: link.viewer?.role === 'owner' ? link.viewer : null,
    clientAddress: link.clientAddress,
  })
  return describeApproval(app, permit, link.viewer)
}

/**
 * The request a decision is about, still pending and showing this manifest, for this approver
 * (the owner when already known: a passkey ceremony learns it only at the end).
 */
export async function readDecisionRequest(
  app: App,
  decision: {
    requestId: string
    token: unknown
    owner: Tenant | null
    manifestSha256: string
    clientAddress: string
  },
): Promise<PermitRecord> {
  const owner = decision.owner?.role === 'owner' ? decision.owner : null
  const permit = await readRequestForApprover(app, { ...decision, owner })
  if (owner && permit.owner_id && permit.owner_id !== owner.tenant_id) fail('NOT_YOUR_AGENT')
  assertStillPending(permit, decision.manifestSha256)
  return permit
}

/** What the approver reads: every capability in full, with the secrets and networks it touches. */
async function describeApproval(app: App, permit: PermitRecord, viewer: Tenant | null) {
  const agent = await getTenant(app, permit.agent_id)
  // Which secrets exist is the owner's to know (rule 22): the link alone (the agent has it) shows
  // which secrets the permit asks for, never which are stored.
  const viewingOwner = viewer?.role === 'owner' ? viewer.tenant_id : undefined
  const secretsOwner =
    viewingOwner && (!permit.owner_id || permit.owner_id === viewingOwner)
      ? viewingOwner
      : undefined
  return {
    id: permit.request_id,
    status: requestStatusOf(permit),
    created_at: permit.created_at,
    expires_at: permit.request_expires_at,
    agent: {
      tenant_id: permit.agent_id,
      name: agent?.name ?? '',
      ...(agent?.owner_id ? { owner_id: agent.owner_id } : {}),
    },
    scope_request: {
      permit_id: permit.permit_id,
      description: permit.description,
      capabilities: permit.capabilities,
      secrets: permit.secrets,
      ...(secretsOwner
        ? {
            missing_secrets: await missingSecrets(app, secretsOwner, permit.secrets),
            synced_secrets: await syncedCookieSecrets(app, secretsOwner, permit.secrets),
          }
        : {}),
      secret_origins: permit.secret_origins,
      networks: permit.networks,
      ttl_seconds: permit.requested.ttl_seconds,
      max_executions: permit.requested.max_executions,
      ...(permit.skill ? { skill: permit.skill } : {}),
    },
    manifest_sha256: permit.manifest_sha256,
  }
}

/**
 * POST /approve/:id. Everything the decision writes — the permit's new state, the owner's index
 * entry, and for an approval the agent's binding to its owner, the secrets' origin bindings and
 * the secrets given with it — is one store transaction (rule 12): the winning decision writes all
 * of it at once, and a decision that loses a race (or a crash before the commit) writes nothing.
 */
export async function decidePermit(
  app: App,
  owner: Tenant,
  requestId: string,
  body: ApproveRequest,
  clientAddress: string,
) {
  const permit = await readDecisionRequest(app, {
    requestId,
    token: body.token,
    owner,
    manifestSha256: body.manifest_sha256,
    clientAddress,
  })
  const approving = body.action === 'approve'
  const given = body.secrets ?? {}
  for (const [name, value] of Object.entries(given)) {
    if (!permit.secrets.includes(name)) {
      fail('INVALID_SECRET', {
        details: { reason: 'only secrets this permit uses can be given at approval' },
      })
    }
    assertSecretValue(value)
  }
  const decide = (current: PermitRecord | null): PermitRecord => {
    if (!current) return fail('NOT_FOUND')
    assertStillPending(current, body.manifest_sha256)
    const now = Date.now()
    if (!approving)
      return { ...current, state: 'denied', owner_id: owner.tenant_id, decided_at: now }
    const ttl = Math.min(current.requested.ttl_seconds, body.ttl_seconds ?? Infinity)
    return {
      ...current,
      state: 'approved',
      owner_id: owner.tenant_id,
      decided_at: now,
      ttl_seconds: ttl,
      max_executions: Math.min(current.requested.max_executions, body.max_executions ?? Infinity),
      expires_at: now + ttl * 1000,
      ...(body.calls_per_minute !== undefined ? { calls_per_minute: body.calls_per_minute } : {}),
    }
  }
  const [decision, ...permitPointers] = decisionSteps(app, owner.tenant_id, permit, decide)
  const secretSteps = approving
    ? await approvalSecretSteps(app, owner.tenant_id, permit.secret_origins, given)
    : []
  const [decided] = (await app.store.transact([
    decision,
    agentDecisionStep(permit.agent_id, owner.tenant_id, { bind: approving }),
    ...(approving ? [ownerAgentStep(owner.tenant_id, permit.agent_id)] : []),
    ...secretSteps,
    ...permitPointers,
  ])) as [PermitRecord]
  await app.notifier.notify(decided.request_id)
  return { id: decided.request_id, status: requestStatusOf(decided), permit_id: decided.permit_id }
}

function assertStillPending(permit: PermitRecord, manifestSha256: string) {
  if (permit.state !== 'pending') fail('ALREADY_DECIDED')
  if (Date.now() >= permit.request_expires_at) fail('APPROVAL_EXPIRED')
  if (permit.manifest_sha256 !== manifestSha256)
    fail('MANIFEST_CHANGED', { details: { manifest_sha256: permit.manifest_sha256 } })
}
