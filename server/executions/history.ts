/**
 * GET /history: an agent's recent executions, newest first, each with its status_url.
 */
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { statusUrlFor } from '../accounts/status-links'
import { readAgentExecutions, summarizeExecution, withLiveState } from './records'

export async function readHistory(
  app: App,
  agent: Tenant,
  options: { limit: number; publicOrigin: string },
) {
  const records = await readAgentExecutions(app, agent.tenant_id, options.limit)
  return {
    executions: records
      .map((stored) => withLiveState(app, stored))
      .map((record) => ({
        ...summarizeExecution(record),
        ...(record.permit_id ? { permit_id: record.permit_id } : {}),
        status_url: statusUrlFor(app, options.publicOrigin, record.request_id),
      })),
  }
}
