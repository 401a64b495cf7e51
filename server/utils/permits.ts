/**
 * Permit requests: validate what an agent asks for, derive what the approver must see (function
 * signatures, secrets, networks), hash the canonical manifest, and store one pending record with
 * server-generated ids and an approval token kept only as a hash.
 */
import type { Tenant } from './accounts'
import type { App } from './app'
import { canonicalJson, sha256Hex } from './canonical-json'
import { normalizeCapabilities, secretOrigins, type NormalizedCapability } from './capabilities'
import { LIMITS } from './limits'
import { createId, createToken, hashToken } from './tokens'
import type { PermitRequest } from '../../schemas/types'

export type PermitState = 'pending' | 'approved' | 'denied' | 'revoked'
export type RequestStatus = 'pending' | 'completed' | 'denied' | 'expired'
export type PermitStatus = 'pending' | 'active' | 'denied' | 'revoked' | 'expired'

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

export async function requestPermit(app: App, agent: Tenant, body: PermitRequest, publicOrigin: string) {
  const capabilities = normalizeCapabilities(body.capabilities, { allowHttp: app.settings.allowHttpEndpoints })
  const origins = secretOrigins(capabilities)
  const requested = {
    ttl_seconds: body.ttl_seconds ?? LIMITS.PERMIT_TTL_DEFAULT_S,
    max_executions: body.max_executions ?? LIMITS.MAX_EXECUTIONS_DEFAULT,
  }
  const manifest = { version: 1, description: body.description, capabilities, ...requested }
  const now = Date.now()
  const record: PermitRecord = {
    permit_id: createId('permit'),
    request_id: createId('preq'),
    agent_id: agent.tenant_id,
    ...(agent.owner_id ? { owner_id: agent.owner_id } : {}),
    state: 'pending',
    description: body.description,
    capabilities,
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
  await app.store.set(`${agentPermitsPrefix(agent.tenant_id)}:${record.permit_id}`, { created_at: now })
  await app.store.set(requestKey(record.request_id), { permit_id: record.permit_id })
  await app.store.set(approvalTokenKey(hashToken(approvalToken)), { request_id: record.request_id }, { ttlMs })
  await app.store.set(permitKey(record.permit_id), record)

  return {
    request_id: record.request_id,
    status: 'pending_permit' as const,
    permit_id: record.permit_id,
    approval_url: `${publicOrigin}/approve/${record.request_id}?token=${approvalToken}`,
    status_url: `${publicOrigin}/execute/${record.request_id}/status?wait=true`,
    capabilities: capabilities.map((capability) => ({ name: capability.name, signature: capability.signature })),
    manifest_sha256: record.manifest_sha256,
    message: 'Permit request awaiting approval — poll status_url',
  }
}

export async function readPermitByRequest(app: App, requestId: string): Promise<PermitRecord | null> {
  const pointer = await app.store.get<{ permit_id: string }>(requestKey(requestId))
  return pointer ? app.store.get<PermitRecord>(permitKey(pointer.permit_id)) : null
}

export function requestStatusOf(permit: PermitRecord, now = Date.now()): RequestStatus {
  if (permit.decided_at !== undefined && (permit.state === 'approved' || permit.state === 'revoked')) return 'completed'
  if (permit.state === 'denied' || permit.state === 'revoked') return 'denied'
  return now >= permit.request_expires_at ? 'expired' : 'pending'
}

export function permitStatusOf(permit: PermitRecord, now = Date.now()): PermitStatus {
  if (permit.state === 'pending') return now >= permit.request_expires_at ? 'expired' : 'pending'
  if (permit.state === 'approved') return permit.expires_at !== undefined && now >= permit.expires_at ? 'expired' : 'active'
  return permit.state
}

/** The agent that asked, and the owner that decided, see a permit; everyone else gets 404. */
export function canSeePermit(permit: PermitRecord, tenant: Tenant): boolean {
  return tenant.role === 'agent' ? permit.agent_id === tenant.tenant_id : permit.owner_id === tenant.tenant_id && permit.decided_at !== undefined
}
