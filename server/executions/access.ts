/**
 * Who may read an execution: the agent that ran it and the owner of its permit, by bearer token;
 * or anyone holding its status link, for its status only. Anyone else gets 404 exactly like an
 * unknown id (rule 14).
 */
import type { Tenant } from '../accounts/tenants'
import { isIdShaped } from '../accounts/tokens'
import type { App } from '../app'
import { isStatusTokenFor } from '../accounts/status-links'
import { readExecution, type ExecutionRecord } from './records'

export function canViewExecution(record: ExecutionRecord, tenant: Tenant): boolean {
  if (record.agent_id === tenant.tenant_id) return true
  return tenant.role === 'owner' && record.owner_id === tenant.tenant_id
}

/** The execution `id` if `tenant` may read it, or (for its status) the link's token is right. */
export async function readExecutionFor(
  app: App,
  viewer: { tenant: Tenant | null; statusToken?: string },
  id: string,
): Promise<ExecutionRecord | null> {
  const record = isIdShaped(id, 'exec') ? await readExecution(app, id) : null
  if (!record) return null
  if (viewer.tenant && canViewExecution(record, viewer.tenant)) return record
  return isStatusTokenFor(app, viewer.statusToken, id) ? record : null
}
