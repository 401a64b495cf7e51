/**
 * Permit requests: validate what an agent asks for, derive what the approver must see (function
 * signatures, secrets, networks), hash the canonical manifest, and store one pending record with
 * server-generated ids and an approval token kept only as a hash.
 */
import type { Tenant } from './accounts'
import type { App } from './app'
import { canonicalJson, sha256Hex } from './canonical-json'
import { normalizeCapabilities, secretOrigins, type NormalizedCapability } from './capabilities'
import { fail } from './errors'
import { resolveSkill } from './skills/registry'
import { LIMITS } from './limits'
import { createId, createToken, hashToken, isTokenShaped } from './tokens'
import type { PermitRequest } from '../../schemas/types'

export type PermitState = 'pending' | 'approved' | 'denied' | 'revoked'
export type RequestStatus = 'pending' | 'completed' | 'denied' | 'expired'
export type PermitStatus = 'pending' | 'active' | 'denied' | 'revoked' | 'expired'

/** The registry skill a permit is bound to: the exact version and code the human saw. */
export interface PermitSkill {
  id: string
  version: string
  sha256: string
  description: string
  author: string
  code: string
  args: object
  timeout_ms?: number
}

export interface PermitRecord {
  permit_id: string
  request_id: string
  agent_id: string
  owner_id?: string
  state: PermitState
  description: string
  capabilities: NormalizedCapability[]
  secrets: string[]
  secret_origins: Record<string, string>
  networks: string[]
  requested: { ttl_seconds: number; max_executions: number }
  ttl_seconds: number
  max_executions: number
  skill?: PermitSkill
  /** Set by the approver: capability calls per minute under this permit (GW-24). */
  calls_per_minute?: number
  manifest_sha256: string
  created_at: number
  request_expires_at: number
  decided_at?: number
  expires_at?: number
  revoked_at?: number
}

const APPROVAL_TOKEN_GRACE_S = 30 * 24 * 3600

export const permitKey = (id: string) => `permit:${id}`
export const requestKey = (id: string) => `request:${id}`
export const approvalTokenKey = (hash: string) => `approval:${hash}`
export const agentPermitsPrefix = (agentId: string) => `agent-permits:${agentId}`
export const ownerPermitsPrefix = (ownerId: string) => `owner-permits:${ownerId}`

export async function requestPermit(
  app: App,
  agent: Tenant,
  body: PermitRequest,
  publicOrigin: string,
) {
  const { description, capabilities, skill } = await resolveRequest(app, body)
  const origins = secretOrigins(capabilities)
  const requested = {
    ttl_seconds: body.ttl_seconds ?? LIMITS.PERMIT_TTL_DEFAULT_S,
    max_executions: body.max_executions ?? LIMITS.MAX_EXECUTIONS_DEFAULT,
  }
  const manifest = {
    version: 1,
    description,
    capabilities,
    ...requested,
    ...(skill ? { skill: { id: skill.id, version: skill.version, sha256: skill.sha256 } } : {}),
  }
  const now = Date.now()
  const record: PermitRecord = {
    permit_id: createId('permit'),
    request_id: createId('preq'),
    agent_id: agent.tenant_id,
    ...(agent.owner_id ? { owner_id: agent.owner_id } : {}),
    state: 'pending',
    description,
    capabilities,
    ...(skill ? { skill } : {}),
    secrets: [...new Set(capabilities.flatMap((capability) => capability.secrets))].sort(),
    secret_origins: origins,
    networks: [...new Set(capabilities.map((capability) => capability.origin))].sort(),
    requested,
    ...requested,
    manifest_sha256: sha256Hex(canonicalJson(manifest)),
    created_at: now,
    request_expires_at: now + app.settings.approvalTtlSeconds * 1000,
  }
  const approvalToken = createToken('approval')
  // The token outlives the request by a while, so a late click reads 410 (expired), not 403.
  const ttlMs = (app.settings.approvalTtlSeconds + APPROVAL_TOKEN_GRACE_S) * 1000
  // Pointers and index first, the permit record last: it is the commit point, and a crash before
  // it leaves only pointers to nothing (read as 404), never a permit that cannot be found.
  await app.store.set(`${agentPermitsPrefix(agent.tenant_id)}:${record.permit_id}`, {
    created_at: now,
  })
  await app.store.set(requestKey(record.request_id), { permit_id: record.permit_id })
  await app.store.set(
    approvalTokenKey(hashToken(approvalToken)),
    { request_id: record.request_id },
    { ttlMs },
  )
  await app.store.set(permitKey(record.permit_id), record)

  return {
    request_id: record.request_id,
    status: 'pending_permit' as const,
    permit_id: record.permit_id,
    approval_url: `${publicOrigin}/approve/${record.request_id}?token=${approvalToken}`,
    status_url: `${publicOrigin}/execute/${record.request_id}/status?wait=true`,
    capabilities: capabilities.map((capability) => ({
      name: capability.name,
      signature: capability.signature,
    })),
    manifest_sha256: record.manifest_sha256,
    message: 'Permit request awaiting approval — poll status_url',
  }
}

/** Capabilities come from the specs given, or from the registry skill named (never both). */
async function resolveRequest(
  app: App,
  body: PermitRequest,
): Promise<{ description: string; capabilities: NormalizedCapability[]; skill?: PermitSkill }> {
  if (body.skill_id !== undefined) {
    if (body.capabilities !== undefined)
      fail('INVALID_BODY', { details: { reason: 'give capabilities or skill_id, not both' } })
    const found = await resolveSkill(app, body.skill_id)
    const skill: PermitSkill = {
      id: found.id,
      version: found.version,
      sha256: found.sha256,
      description: found.description,
      author: found.author,
      code: found.code,
      args: found.manifest.args,
      ...(found.manifest.timeout_ms ? { timeout_ms: found.manifest.timeout_ms } : {}),
    }
    return {
      description: body.description ?? found.description,
      capabilities: found.capabilities,
      skill,
    }
  }
  if (
    body.capabilities === undefined ||
    body.capabilities.length === 0 ||
    body.description === undefined
  ) {
    fail('INVALID_BODY', {
      details: { reason: 'a permit request needs a description and capabilities, or a skill_id' },
    })
  }
  return {
    description: body.description,
    capabilities: normalizeCapabilities(body.capabilities, {
      allowHttp: app.settings.allowHttpEndpoints,
    }),
  }
}

/** Is `token` the approval token of this permit request? Found by hash, never compared as text. */
export async function isApprovalTokenFor(
  app: App,
  token: unknown,
  requestId: string,
): Promise<boolean> {
  if (!isTokenShaped(token)) return false
  const entry = await app.store.get<{ request_id: string }>(approvalTokenKey(hashToken(token)))
  return entry?.request_id === requestId
}

export async function readPermitByRequest(
  app: App,
  requestId: string,
): Promise<PermitRecord | null> {
  const pointer = await app.store.get<{ permit_id: string }>(requestKey(requestId))
  return pointer ? app.store.get<PermitRecord>(permitKey(pointer.permit_id)) : null
}

export function requestStatusOf(permit: PermitRecord, now = Date.now()): RequestStatus {
  if (
    permit.decided_at !== undefined &&
    (permit.state === 'approved' || permit.state === 'revoked')
  )
    return 'completed'
  if (permit.state === 'denied' || permit.state === 'revoked') return 'denied'
  return now >= permit.request_expires_at ? 'expired' : 'pending'
}

export function permitStatusOf(permit: PermitRecord, now = Date.now()): PermitStatus {
  if (permit.state === 'pending') return now >= permit.request_expires_at ? 'expired' : 'pending'
  if (permit.state === 'approved')
    return permit.expires_at !== undefined && now >= permit.expires_at ? 'expired' : 'active'
  return permit.state
}

/** The agent that asked, and the owner that decided, see a permit; everyone else gets 404. */
export function canSeePermit(permit: PermitRecord, tenant: Tenant): boolean {
  return tenant.role === 'agent'
    ? permit.agent_id === tenant.tenant_id
    : permit.owner_id === tenant.tenant_id && permit.decided_at !== undefined
}
