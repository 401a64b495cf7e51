/**
 * GET /requests: what waits for an owner's decision — the pending requests of the agents bound to
 * it, which only it may decide (AP-13), so it reviews them without the approval link's token.
 */
import { getTenant, type Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { readPendingRequests } from './records'

export async function listPendingRequests(app: App, owner: Tenant, origin: string) {
  const permits = await readPendingRequests(app, owner.tenant_id)
  const requests = await Promise.all(
    permits.map(async (permit) => ({
      request_id: permit.request_id,
      agent: {
        tenant_id: permit.agent_id,
        name: (await getTenant(app, permit.agent_id))?.name ?? '',
      },
      description: permit.description,
      capabilities: permit.capabilities.map((capability) => capability.name),
      ...(permit.skill ? { skill: `${permit.skill.id}@${permit.skill.version}` } : {}),
      created_at: permit.created_at,
      expires_at: permit.request_expires_at,
      review_url: `${origin}/approve/${permit.request_id}`,
    })),
  )
  return { requests }
}
