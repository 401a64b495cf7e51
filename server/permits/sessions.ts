/**
 * Permits in force: listing, reading and revoking, always scoped by the caller. Another tenant's
 * permit answers 404 exactly like an unknown id (rule 14).
 */
import { fail } from '../../core/errors'
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { readExecutionsUsed } from './usage'
import { paginate, type PageQuery } from '../../core/pagination'
import { canView, readPermitFor } from './access'
import { permitStatusOf, readIndexedPermits, updatePermit, type PermitRecord } from './records'

export function describePermit(permit: PermitRecord) {
  return {
    permit_id: permit.permit_id,
    request_id: permit.request_id,
    status: permitStatusOf(permit),
    description: permit.description,
    agent_id: permit.agent_id,
    ...(permit.owner_id && permit.decided_at !== undefined ? { owner_id: permit.owner_id } : {}),
    capabilities: permit.capabilities.map((capability) => ({
      type: capability.type,
      name: capability.name,
      signature: capability.signature,
      method: capability.method,
      endpoint: capability.endpoint,
    })),
    secrets: permit.secrets,
    networks: permit.networks,
    ...(permit.skill
      ? {
          skill: {
            id: permit.skill.id,
            version: permit.skill.version,
            sha256: permit.skill.sha256,
          },
        }
      : {}),
    manifest_sha256: permit.manifest_sha256,
    ttl_seconds: permit.ttl_seconds,
    max_executions: permit.max_executions,
    ...(permit.calls_per_minute !== undefined ? { calls_per_minute: permit.calls_per_minute } : {}),
    created_at: permit.created_at,
    ...(permit.decided_at !== undefined ? { decided_at: permit.decided_at } : {}),
    ...(permit.expires_at !== undefined ? { expires_at: permit.expires_at } : {}),
    ...(permit.revoked_at !== undefined ? { revoked_at: permit.revoked_at } : {}),
  }
}

/** A permit with how many of its executions are used. */
async function describePermitUsage(app: App, permit: PermitRecord) {
  return {
    ...describePermit(permit),
    executions_used: await readExecutionsUsed(app, permit.permit_id),
  }
}

/** GET /sessions/:id */
export async function readSession(app: App, tenant: Tenant, permitId: string) {
  return describePermitUsage(app, await readPermitFor(app, { tenant }, permitId, 'view'))
}

export async function listPermits(app: App, tenant: Tenant, query: PageQuery) {
  const permits = (await readIndexedPermits(app, tenant))
    .filter((permit) => canView(permit, tenant))
    .sort((a, b) => b.created_at - a.created_at || (a.permit_id < b.permit_id ? 1 : -1))
  const { page, next_cursor } = paginate(permits, (permit) => permit.permit_id, query)
  const sessions = await Promise.all(page.map((permit) => describePermitUsage(app, permit)))
  return { sessions, next_cursor }
}

/** Revoke (owner or its agent). A pending request withdrawn this way can no longer be approved. */
export async function revokePermit(app: App, tenant: Tenant, permitId: string) {
  const permit = await readPermitFor(app, { tenant }, permitId, 'view')
  const revoked = await updatePermit(app, permit, (current) => {
    if (!current) return fail('NOT_FOUND')
    if (current.state === 'revoked') return fail('ALREADY_REVOKED')
    if (current.state === 'denied') return fail('ALREADY_DECIDED')
    return { ...current, state: 'revoked', revoked_at: Date.now() }
  })
  await app.notifier.notify(revoked.request_id)
  return describePermit(revoked)
}
