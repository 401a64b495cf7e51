/**
 * The permit record and its store keys: one record per permit request, which becomes the permit
 * in force once approved. This module alone reads and writes those keys; everyone else goes
 * through it (and through permits/access.ts for who may see what). The record, its request
 * pointer and its index entries are kept while the request is pending or the permit in force,
 * then for the retention period (NITRO_RETENTION_DAYS).
 */
import type { NormalizedCapability } from '../../core/capabilities/plugin'
import type { App } from '../app'
import { retentionMs } from '../settings/retention'
import type { TransactionStep } from '../store'
import { findByToken, hashToken, isTokenShaped } from '../accounts/tokens'

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

const permitKey = (id: string) => `permit:${id}`
const requestKey = (id: string) => `request:${id}`
const approvalTokenKey = (hash: string) => `approval:${hash}`
const agentPermitsPrefix = (agentId: string) => `agent-permits:${agentId}`
const ownerPermitsPrefix = (ownerId: string) => `owner-permits:${ownerId}`
/** Requests from agents bound to an owner, while they may be pending. */
const ownerRequestsPrefix = (ownerId: string) => `owner-requests:${ownerId}`

/**
 * Store a new permit request. Pointers and index first, the permit record last: it is the commit
 * point, and a crash before it leaves only pointers to nothing (read as 404), never a permit that
 * cannot be found.
 */
export async function createPermitRecord(
  app: App,
  record: PermitRecord,
  approvalToken: string,
  approvalTokenTtlMs: number,
): Promise<void> {
  const { store } = app
  const kept = { ttlMs: permitRetentionMs(app, record) }
  await store.set(
    `${agentPermitsPrefix(record.agent_id)}:${record.permit_id}`,
    { created_at: record.created_at },
    kept,
  )
  await store.set(requestKey(record.request_id), { permit_id: record.permit_id }, kept)
  if (record.owner_id) {
    await store.set(
      `${ownerRequestsPrefix(record.owner_id)}:${record.permit_id}`,
      { created_at: record.created_at },
      { ttlMs: approvalTokenTtlMs },
    )
  }
  await store.set(
    approvalTokenKey(hashToken(app.keys.tokenPepper(), approvalToken)),
    { request_id: record.request_id },
    { ttlMs: approvalTokenTtlMs },
  )
  await store.set(permitKey(record.permit_id), record, kept)
}

/**
 * How much longer a permit's keys are kept: the retention period after the permit leaves force
 * (expires, is revoked or denied) or its request expires undecided.
 */
export function permitRetentionMs(app: Pick<App, 'settings'>, permit: PermitRecord): number {
  const endsAt =
    permit.state === 'approved'
      ? (permit.expires_at ?? Date.now())
      : permit.state === 'pending'
        ? permit.request_expires_at
        : (permit.revoked_at ?? permit.decided_at ?? Date.now())
  return Math.max(1, endsAt + retentionMs(app) - Date.now())
}

export function readPermit(app: App, permitId: string): Promise<PermitRecord | null> {
  return app.store.get<PermitRecord>(permitKey(permitId))
}

export async function readPermitByRequest(
  app: App,
  requestId: string,
): Promise<PermitRecord | null> {
  const pointer = await app.store.get<{ permit_id: string }>(requestKey(requestId))
  return pointer ? readPermit(app, pointer.permit_id) : null
}

/**
 * Compare-and-set on the permit record, with its pointers kept as long as the record's new state
 * says (see permitSteps).
 */
export async function updatePermit(
  app: App,
  permit: PermitRecord,
  mutate: (current: PermitRecord | null) => PermitRecord,
): Promise<PermitRecord> {
  const [updated] = (await app.store.transact(permitSteps(app, permit, mutate))) as [PermitRecord]
  return updated
}

/**
 * A change of the permit record as transaction steps: the record first, then its request pointer
 * and its agent's index entry, rewritten to be kept as long as the record (their keys never
 * change, so the permit as read before names them).
 */
function permitSteps(
  app: App,
  permit: PermitRecord,
  mutate: (current: PermitRecord | null) => PermitRecord,
): TransactionStep[] {
  let next = permit
  const keptMs = () => permitRetentionMs(app, next)
  const keep = (current: unknown) => current ?? undefined
  return [
    {
      key: permitKey(permit.permit_id),
      apply: (current) => (next = mutate(current as PermitRecord | null)),
      keptFor: keptMs,
    },
    { key: requestKey(permit.request_id), apply: keep, keptFor: keptMs },
    {
      key: `${agentPermitsPrefix(permit.agent_id)}:${permit.permit_id}`,
      apply: keep,
      keptFor: keptMs,
    },
  ]
}

/** Is `token` the approval token of this permit request? Found by hash, never compared as text. */
export async function isApprovalTokenFor(
  app: App,
  token: unknown,
  requestId: string,
): Promise<boolean> {
  if (!isTokenShaped(token, 'approval')) return false
  const entry = await findByToken<{ request_id: string }>(app, approvalTokenKey, token)
  return entry?.request_id === requestId
}

/** A decision's steps on the permit (see Store.transact): the record, and the owner's index. */
export function decisionSteps(
  app: App,
  ownerId: string,
  permit: PermitRecord,
  decide: (current: PermitRecord | null) => PermitRecord,
): TransactionStep[] {
  const [record, ...pointers] = permitSteps(app, permit, decide)
  return [
    record,
    {
      key: `${ownerPermitsPrefix(ownerId)}:${permit.permit_id}`,
      apply: () => ({ requested_at: permit.created_at }),
      keptFor: record.keptFor,
    },
    ...pointers,
  ]
}

/** Permits an agent requested (role agent) or an owner decided (role owner), unordered. */
export async function readIndexedPermits(
  app: App,
  tenant: { tenant_id: string; role: 'agent' | 'owner' },
): Promise<PermitRecord[]> {
  const prefix =
    tenant.role === 'agent'
      ? agentPermitsPrefix(tenant.tenant_id)
      : ownerPermitsPrefix(tenant.tenant_id)
  const ids = (await app.store.keys(prefix)).map((key) => key.slice(prefix.length + 1))
  const permits = await Promise.all(ids.map((id) => readPermit(app, id)))
  return permits.filter((permit): permit is PermitRecord => permit !== null)
}

/** Pending requests from the agents bound to this owner, newest first. */
export async function readPendingRequests(app: App, ownerId: string): Promise<PermitRecord[]> {
  const prefix = ownerRequestsPrefix(ownerId)
  const ids = (await app.store.keys(prefix)).map((key) => key.slice(prefix.length + 1))
  const permits = await Promise.all(ids.map((id) => readPermit(app, id)))
  return permits
    .filter(
      (permit): permit is PermitRecord =>
        permit?.owner_id === ownerId && requestStatusOf(permit) === 'pending',
    )
    .sort((a, b) => b.created_at - a.created_at)
}

export function requestStatusOf(permit: PermitRecord, now = Date.now()): RequestStatus {
  const decided = permit.decided_at !== undefined
  if (decided && (permit.state === 'approved' || permit.state === 'revoked')) return 'completed'
  if (permit.state === 'denied' || permit.state === 'revoked') return 'denied'
  return now >= permit.request_expires_at ? 'expired' : 'pending'
}

export function permitStatusOf(permit: PermitRecord, now = Date.now()): PermitStatus {
  if (permit.state === 'pending') return now >= permit.request_expires_at ? 'expired' : 'pending'
  if (permit.state === 'approved') {
    return permit.expires_at !== undefined && now >= permit.expires_at ? 'expired' : 'active'
  }
  return permit.state
}
